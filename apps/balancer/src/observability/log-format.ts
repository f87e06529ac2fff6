import type { LogFormatConfig } from '../config/schema';
import { Template, type VariableContext } from '../http/variables';

/**
 * A `log_format NAME [escape=...] STRING ...;` ready to write lines: one template, evaluated
 * only when a line is written (the variables it names are the only ones computed). Escaping as
 * ngx_http_log_module documents it:
 * - default: `"`, `\` and bytes below 32 or above 126 become `\xXX`; an empty value is `-`;
 * - json: what a JSON string cannot hold is escaped (`\"`, `\\`, `\n`, `\u00XX`); empty stays empty;
 * - none: nothing is escaped; an empty value is `-`.
 * (tenk cannot tell "not found" from "empty": an empty `$args` logs `-`, where nginx logs nothing.)
 */
export class LogFormat {
  readonly name: string;
  readonly #template: Template;
  readonly #escape: (value: string) => string;

  constructor(config: LogFormatConfig) {
    this.name = config.name;
    this.#template = new Template(config.text);
    this.#escape = config.escape === 'json' ? escapeJson : config.escape === 'none' ? dashIfEmpty : escapeDefault;
  }

  line(context: VariableContext): string {
    return `${this.#template.evaluateEscaped(context, this.#escape)}\n`;
  }
}

function dashIfEmpty(value: string): string {
  return value === '' ? '-' : value;
}

function escapeDefault(value: string): string {
  if (value === '') return '-';
  // eslint-disable-next-line no-control-regex
  if (!/["\\\x00-\x1f\x7f-\uffff]/.test(value)) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out +=
      byte === 0x22 || byte === 0x5c || byte < 0x20 || byte > 0x7e
        ? `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(byte);
  }
  return out;
}

function escapeJson(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/["\\\x00-\x1f]/.test(value)) return value;
  return JSON.stringify(value).slice(1, -1);
}
