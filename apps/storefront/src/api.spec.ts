import { ApiError, parseRetryAfter, problemsOf, withQuery } from './api';

describe('api helpers', () => {
  it('reads every problem from a Nest error body', () => {
    expect(problemsOf({ statusCode: 400, message: ['email must be an email address', 'password must not be empty'] }, 400)).toEqual(['email must be an email address', 'password must not be empty']);
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
});
