import { ApiError, parseRetryAfter, problemsOf, retryDelayMs, withQuery } from './api';

describe('api helpers', () => {
  it('reads every problem from a Nest error body', () => {
    expect(problemsOf({ statusCode: 400, message: ['email must be an email address', 'password must not be empty'] }, 400)).toEqual([
      'email must be an email address',
      'password must not be empty',
    ]);
    expect(problemsOf({ statusCode: 401, message: 'email or password is wrong' }, 401)).toEqual(['email or password is wrong']);
  });

  it('never shows an HTML error page or an empty body as the message', () => {
    expect(problemsOf('<html><body>Bad Gateway</body></html>', 502)).toEqual(['the shop had a problem; please try again in a moment']);
    expect(problemsOf(undefined, 404)).toEqual(['the shop refused the request (404)']);
    expect(problemsOf('upstream timed out', 504)).toEqual(['upstream timed out']);
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(parseRetryAfter('30')).toBe(30);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThanOrEqual(9);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('builds query strings without empty values', () => {
    expect(withQuery('/products', { search: 'red mug', page: 2, category: '' })).toBe('/products?search=red+mug&page=2');
    expect(withQuery('/products', {})).toBe('/products');
  });

  it('carries status, problems and Retry-After on ApiError', () => {
    const error = new ApiError(429, ['too many failed sign-ins for this account; try again in 60 s'], 60);
    expect(error.message).toBe('too many failed sign-ins for this account; try again in 60 s');
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 60 });
  });

  it('retries a refused read after Retry-After with up to half again of jitter, twice at most; never a POST', () => {
    const busy = new ApiError(503, ['busy'], 1);
    expect(retryDelayMs('GET', busy, 0, () => 0)).toBe(1000);
    expect(retryDelayMs('GET', busy, 1, () => 1)).toBe(1500);
    expect(retryDelayMs('GET', busy, 2, () => 0)).toBeNull();
    expect(retryDelayMs('POST', busy, 0, () => 0)).toBeNull();
    expect(retryDelayMs('GET', new ApiError(429, ['slow down'], 2), 0, () => 0.5)).toBe(2500);
    expect(retryDelayMs('GET', new ApiError(503, ['busy'], 60), 0, () => 0)).toBeNull();
    expect(retryDelayMs('GET', new ApiError(502, ['bad gateway']), 0, () => 0)).toBeNull();
    expect(retryDelayMs('GET', new ApiError(503, ['busy']), 0, () => 0)).toBe(1000);
  });
});
