import { createHash } from 'node:crypto';

/** What a product's picture is drawn from: change one of these and the picture (and its URL) changes. */
export interface ImageSubject {
  sku: string;
  name: string;
  category: string;
}

export const PRODUCT_IMAGE_PREFIX = '/images/products/';
const FILE = /^([A-Z0-9-]{3,32})\.([0-9a-f]{12})\.svg$/;

/** Background and accent per category; anything else gets a colour derived from its name. */
const PALETTE: Record<string, [string, string]> = {
  kitchen: ['#f4d35e', '#7a5c00'],
  garden: ['#9bc53d', '#2f4a00'],
  books: ['#c3a995', '#4a2f1d'],
  toys: ['#ff8c94', '#7a1f29'],
  tools: ['#8d99ae', '#2b2d42'],
  music: ['#b388eb', '#3c1a68'],
  sports: ['#5bc0eb', '#0b3b54'],
  office: ['#e0e0e0', '#333333'],
  outdoor: ['#6a994e', '#1f3315'],
  games: ['#f78c6b', '#5c1f0b'],
};

/**
 * A product's picture: a small SVG drawn only from its sku, name and category, so the same
 * product always gives the same bytes (the seed has no photos; a real shop would store
 * uploads). Text is XML-escaped: names come from admins, but an SVG is a document.
 */
export function renderProductImage(subject: ImageSubject): string {
  const [background, ink] = PALETTE[subject.category] ?? derivedColours(subject.category);
  const words = subject.name.split(/\s+/).filter(Boolean);
  const initials = words
    .filter((word) => /^[A-Za-z]/.test(word))
    .slice(0, 2)
    .map((word) => word[0].toUpperCase())
    .join('');
  const lines = wrap(subject.name, 22).slice(0, 2);
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="480" viewBox="0 0 480 480" role="img"',
    ` aria-label="${escapeXml(subject.name)}">`,
    `<rect width="480" height="480" fill="${background}"/>`,
    `<circle cx="240" cy="190" r="120" fill="${ink}" fill-opacity="0.12"/>`,
    `<text x="240" y="235" text-anchor="middle" font-family="Georgia, serif" font-size="128" fill="${ink}">${escapeXml(initials || '?')}</text>`,
    ...lines.map(
      (line, i) =>
        `<text x="240" y="${360 + i * 34}" text-anchor="middle" font-family="system-ui, sans-serif" font-size="28" fill="${ink}">${escapeXml(line)}</text>`,
    ),
    `<text x="240" y="452" text-anchor="middle" font-family="monospace" font-size="18" fill="${ink}" fill-opacity="0.7">${escapeXml(`${subject.category} · ${subject.sku}`)}</text>`,
    '</svg>',
    '',
  ].join('');
}

/** The picture, its content hash and its URL: the URL changes whenever the bytes do, so it can be cached forever. */
export function productImage(subject: ImageSubject): { svg: string; hash: string; url: string } {
  const svg = renderProductImage(subject);
  const hash = createHash('sha256').update(svg).digest('hex').slice(0, 12);
  return { svg, hash, url: `${PRODUCT_IMAGE_PREFIX}${subject.sku}.${hash}.svg` };
}

/** `SKU-000042.3f9a1c2b7d4e.svg` -> its sku and hash; undefined for anything else. */
export function parseImageFile(file: string): { sku: string; hash: string } | undefined {
  const match = FILE.exec(file);
  return match ? { sku: match[1], hash: match[2] } : undefined;
}

function derivedColours(category: string): [string, string] {
  const hue = createHash('sha1').update(category).digest()[0] * (360 / 256);
  return [`hsl(${hue.toFixed(0)}, 55%, 75%)`, `hsl(${hue.toFixed(0)}, 60%, 20%)`];
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.map((item) => (item.length > width ? `${item.slice(0, width - 1)}…` : item));
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[char] as string);
}
