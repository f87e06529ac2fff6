import { inFlightBound } from './overload-load';

describe('inFlightBound', () => {
  const limits = (soft: string) =>
    `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                1048576              files\n`;

  it("keeps the generator under 40% of the process's open-file limit", () => {
    expect(inFlightBound(20_000, limits('20000'))).toBe(8_000);
    expect(inFlightBound(20_000, limits('1024'))).toBe(409);
  });

  it('takes the wanted bound when the limit is higher, or cannot be read', () => {
    expect(inFlightBound(20_000, limits('1048576'))).toBe(20_000);
    expect(inFlightBound(20_000, '')).toBe(20_000);
  });
});
