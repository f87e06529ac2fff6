/**
 * Talking to the api: same origin (the balancer serves the storefront and the api), the
 * session in an HttpOnly cookie the browser sends by itself, JSON both ways.
 */

/** An answer other than 2xx, with what the api said was wrong. */
export class ApiError extends Error {
  readonly status: number;
  /** Every problem the api named (a 400 lists one per bad field). */
  readonly problems: string[];
  /** Seconds to wait before trying again (429, 503), when the api said. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, problems: string[], retryAfterSeconds?: number) {
    super(problems.join('; ') || `the shop answered ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problems = problems;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function isApiError(error: unknown, status?: number): error is ApiError {
  return error instanceof ApiError && (status === undefined || error.status === status);
}

/** What an error body says, whatever its shape ({message: string | string[]} from Nest). */
export function problemsOf(body: unknown, status: number): string[] {
  if (body && typeof body === 'object' && 'message' in body) {
    const message = (body as { message: unknown }).message;
    if (Array.isArray(message)) return message.map(String);
    if (typeof message === 'string' && message) return [message];
  }
  if (typeof body === 'string' && body.trim() && body.length < 300 && !body.trimStart().startsWith('<')) return [body.trim()];
  return [status >= 500 ? 'the shop had a problem; please try again in a moment' : `the shop refused the request (${status})`];
}

export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * A refused read is tried again after the Retry-After the shop gave (503: busy; 429: too many),
 * at most twice, each wait stretched by up to half again at random so the clients a busy
 * moment refused together do not all come back in the same instant. Only GET and HEAD: a POST
 * is never repeated here (a checkout is retried by the person, with the same idempotency key).
 * A wait longer than MAX_RETRY_WAIT_SECONDS is left to the person.
 */
export const READ_RETRIES = 2;
export const MAX_RETRY_WAIT_SECONDS = 10;

/** How long to wait before retrying a refused read, in ms; null when it should not be retried. */
export function retryDelayMs(method: string, error: ApiError, attempt: number, random: () => number = Math.random): number | null {
  if (method !== 'GET' && method !== 'HEAD') return null;
  if (error.status !== 503 && error.status !== 429) return null;
  if (attempt >= READ_RETRIES) return null;
  const seconds = error.retryAfterSeconds ?? 1;
  if (seconds > MAX_RETRY_WAIT_SECONDS) return null;
  return Math.round(Math.max(seconds, 0.1) * 1000 * (1 + random() / 2));
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await requestOnce<T>(method, path, options);
    } catch (error) {
      const delay = error instanceof ApiError ? retryDelayMs(method, error, attempt) : null;
      if (delay === null) throw error;
      await sleep(delay, options.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function requestOnce<T>(method: string, path: string, options: RequestOptions): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError(0, ['the shop cannot be reached; check your connection and try again']);
  }
  const text = await response.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!response.ok)
    throw new ApiError(response.status, problemsOf(body, response.status), parseRetryAfter(response.headers.get('retry-after')));
  return body as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, { signal });
export const post = <T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}) =>
  request<T>('POST', path, { ...options, body });

/** `/products` + {search: 'mug', page: 2} -> `/products?search=mug&page=2` (empty values left out). */
export function withQuery(path: string, query: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}
