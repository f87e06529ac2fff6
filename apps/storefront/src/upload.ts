import { ApiError, parseRetryAfter, problemsOf } from './api';

export interface UploadOptions {
  /** Called as bytes leave the browser: loaded and total, in bytes. */
  onProgress?(loaded: number, total: number): void;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/**
 * POSTs a file with upload progress (fetch() reports none, XMLHttpRequest does) and resolves
 * with the api's JSON answer; a non-2xx answer rejects with an ApiError as `request()` does.
 */
export function uploadFile<T>(url: string, body: Blob | FormData, options: UploadOptions = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    for (const [name, value] of Object.entries(options.headers ?? {})) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) options.onProgress?.(event.loaded, event.total);
    });
    xhr.addEventListener('load', () => {
      let parsed: unknown = undefined;
      try {
        parsed = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        parsed = xhr.responseText;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(parsed as T);
      else reject(new ApiError(xhr.status, problemsOf(parsed, xhr.status), parseRetryAfter(xhr.getResponseHeader('retry-after'))));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, ['the upload was cut off; check your connection and try again'])));
    xhr.addEventListener('abort', () => reject(new DOMException('upload cancelled', 'AbortError')));
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}
