/**
 * Polls until `probe` returns a value that is not undefined/false, or fails with `message`
 * after `timeoutMs`. Tests wait for a condition, never for a fixed time.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  message: string,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${message} (gave up after ${timeoutMs} ms${lastError ? `; last error: ${(lastError as Error).message}` : ''})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

let counter = 0;

/** A name no other test (or earlier run) uses: for topics, queues, keys, databases. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}
