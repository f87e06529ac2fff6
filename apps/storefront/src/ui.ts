import { ApiError } from './api';
import { h, type Child } from './dom';

/** A message box for an error: what the api said, or a plain sentence for anything else. */
export function errorBox(error: unknown): HTMLElement {
  const problems = error instanceof ApiError ? error.problems : [error instanceof Error ? error.message : String(error)];
  const saysWhen = problems.some((problem) => /try again/i.test(problem));
  const retry =
    error instanceof ApiError && error.retryAfterSeconds !== undefined && !saysWhen ? ` Try again in ${error.retryAfterSeconds} s.` : '';
  return h(
    'div',
    { class: 'notice notice-error', role: 'alert' },
    problems.length === 1
      ? `${capitalize(problems[0] ?? '')}.${retry}`.replace(/\.\./g, '.')
      : [
          h(
            'ul',
            null,
            problems.map((problem) => h('li', null, capitalize(problem))),
          ),
          retry,
        ],
  );
}

export function notice(text: Child, kind: 'info' | 'success' = 'info'): HTMLElement {
  return h('div', { class: `notice notice-${kind}`, role: 'status' }, text);
}

export function loading(label = 'Loading…'): HTMLElement {
  return h('p', { class: 'loading', 'aria-busy': 'true' }, label);
}

/** A labelled form field. */
export function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  return h(
    'label',
    { class: 'field' },
    h('span', { class: 'field-label' }, label),
    input,
    hint ? h('small', { class: 'field-hint' }, hint) : null,
  );
}

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Waits, or rejects at once when the page is left (the signal aborts). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
