const formats = new Map<string, Intl.NumberFormat>();

/** 1999 EUR -> "€19.99" (in the browser's language). */
export function formatMoney(cents: number, currency = 'EUR', locale?: string): string {
  const key = `${locale ?? ''}|${currency}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    formats.set(key, format);
  }
  return format.format(cents / 100);
}
