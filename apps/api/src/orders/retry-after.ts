import { HttpException } from '@nestjs/common';
import type { Response } from 'express';

/**
 * Runs `work`; if it fails with an HTTP error that says when to retry (`retryAfterSeconds` in
 * its body: 503 payments unavailable or a bucket moving, 409 a duplicate still in progress),
 * sets the Retry-After header on the way out.
 */
export async function withRetryAfter<T>(res: Response, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HttpException && !res.headersSent) {
      const body = error.getResponse();
      const seconds = typeof body === 'object' && body !== null ? (body as { retryAfterSeconds?: unknown }).retryAfterSeconds : undefined;
      if (typeof seconds === 'number' && seconds > 0) res.setHeader('Retry-After', String(Math.ceil(seconds)));
    }
    throw error;
  }
}
