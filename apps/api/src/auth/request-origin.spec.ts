import { acceptsMediaType, crossSiteRefusal, hasBody, mediaTypeOf } from './request-origin';

describe('cross-site requests (crossSiteRefusal)', () => {
  const shop = 'http://127.0.0.1:8080';
  const host = '127.0.0.1:8080';

  it("lets the shop's own pages through: its public origin, or what the browser calls same-origin", () => {
    expect(crossSiteRefusal({ host, origin: shop, 'sec-fetch-site': 'same-origin' }, shop)).toBeUndefined();
    // Opened as localhost: not the public origin, but the browser says the page is the api's own.
    expect(
      crossSiteRefusal({ host: 'localhost:8080', origin: 'http://localhost:8080', 'sec-fetch-site': 'same-origin' }, shop),
    ).toBeUndefined();
    expect(crossSiteRefusal({ host, 'sec-fetch-site': 'none' }, shop)).toBeUndefined();
  });

  it('refuses what the browser says came from another site, or from another port of the same host', () => {
    expect(crossSiteRefusal({ host, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, shop)).toContain(
      'Sec-Fetch-Site: cross-site, Origin: https://evil.example',
    );
    expect(crossSiteRefusal({ host, origin: 'http://127.0.0.1:8082', 'sec-fetch-site': 'same-site' }, shop)).toContain(
      "only the shop's own pages (http://127.0.0.1:8080)",
    );
  });

  it('without Sec-Fetch-Site, wants Origin to name the host the request was sent to', () => {
    expect(crossSiteRefusal({ host: 'localhost:8080', origin: 'http://localhost:8080' }, shop)).toBeUndefined();
    expect(crossSiteRefusal({ host, origin: 'https://evil.example' }, shop)).toContain('Origin: https://evil.example');
    expect(crossSiteRefusal({ host, origin: 'null' }, shop)).toContain('Origin: null');
  });

  it('lets clients that are not browsers (no Origin, no Sec-Fetch-Site) through', () => {
    expect(crossSiteRefusal({ host }, shop)).toBeUndefined();
  });
});

describe('request bodies', () => {
  it('reads the media type without parameters, in lower case', () => {
    expect(mediaTypeOf({ 'content-type': 'Application/JSON; charset=utf-8' })).toBe('application/json');
    expect(mediaTypeOf({})).toBeUndefined();
  });

  it('sees a body in Content-Length above 0 or chunked encoding', () => {
    expect(hasBody({ 'content-length': '12' })).toBe(true);
    expect(hasBody({ 'transfer-encoding': 'chunked' })).toBe(true);
    expect(hasBody({ 'content-length': '0' })).toBe(false);
    expect(hasBody({})).toBe(false);
  });

  it('matches exact types and type/* ranges', () => {
    expect(acceptsMediaType(['application/json'], 'application/json')).toBe(true);
    expect(acceptsMediaType(['application/json'], 'text/plain')).toBe(false);
    expect(acceptsMediaType(['video/*', 'multipart/form-data'], 'video/webm')).toBe(true);
    expect(acceptsMediaType(['video/*'], 'videos/x')).toBe(false);
  });
});
