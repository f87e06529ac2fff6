import { parseImageFile, productImage, renderProductImage } from './product-image';

const kettle = { sku: 'SKU-000042', name: 'Sturdy Kettle 42', category: 'kitchen' };

describe('product images', () => {
  it('draws the same bytes for the same product, and different ones when it changes', () => {
    expect(renderProductImage(kettle)).toBe(renderProductImage({ ...kettle }));
    expect(productImage(kettle).hash).not.toBe(productImage({ ...kettle, name: 'Sturdy Kettle 43' }).hash);
  });

  it('has a content-hashed URL that parses back', () => {
    const { url, hash } = productImage(kettle);
    expect(url).toBe(`/images/products/SKU-000042.${hash}.svg`);
    expect(parseImageFile(url.split('/').pop()!)).toEqual({ sku: 'SKU-000042', hash });
    expect(parseImageFile('SKU-000042.svg')).toBeUndefined();
    expect(parseImageFile('../etc/passwd')).toBeUndefined();
  });

  it('escapes names, so an SVG cannot carry markup from them', () => {
    const svg = renderProductImage({ ...kettle, name: '<script>alert(1)</script> & "friends"' });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('&amp; &quot;friends&quot;');
  });

  it('gives categories without a palette entry a colour of their own', () => {
    expect(renderProductImage({ ...kettle, category: 'aquariums' })).toMatch(/fill="hsl\(\d+, 55%, 75%\)"/);
  });
});
