import type { IfConfig } from '../config/schema';
import { Template, type VariableContext } from './variables';

/** A `return` an `if` chose: the code and its text or URL, evaluated. */
export interface ChosenReturn {
  code: number;
  text: Template | null;
}

interface CompiledIf {
  subject: Template;
  op: IfConfig['op'];
  value: Template | null;
  regex: RegExp | null;
  answer: ChosenReturn;
}

/**
 * A location's `if (...) { return ...; }` blocks, compiled once: evaluated in file order
 * before limit_req and the content handler (nginx's rewrite phase); the first whose condition
 * holds answers. ngx_http_rewrite_module's meaning: `($var)` is false for "" and "0"; `=` and
 * `!=` compare strings; `~` / `~*` match a regex (case-insensitive with `*`), and a match sets
 * $1 ... $9 for the `return` text and everything after it.
 */
export class LocationIfs {
  readonly #ifs: readonly CompiledIf[];

  constructor(configs: readonly IfConfig[]) {
    this.#ifs = configs.map((config) => ({
      subject: new Template(config.subject),
      op: config.op,
      value: config.op === '=' || config.op === '!=' ? new Template(config.value) : null,
      regex: config.op === '~' || config.op === '!~' ? new RegExp(config.value, config.caseInsensitive ? 'i' : '') : null,
      answer: { code: config.ret.code, text: config.ret.text === null ? null : new Template(config.ret.text) },
    }));
  }

  /** The `return` of the first `if` whose condition holds, or null. */
  choose(context: VariableContext): ChosenReturn | null {
    const ifs = this.#ifs;
    for (let i = 0; i < ifs.length; i++) {
      const test = ifs[i];
      const subject = test.subject.evaluate(context);
      let holds: boolean;
      switch (test.op) {
        case 'set':
          holds = subject !== '' && subject !== '0';
          break;
        case '=':
          holds = subject === (test.value as Template).evaluate(context);
          break;
        case '!=':
          holds = subject !== (test.value as Template).evaluate(context);
          break;
        case '~': {
          const match = (test.regex as RegExp).exec(subject);
          if (match !== null) context.captures = match;
          holds = match !== null;
          break;
        }
        case '!~':
          holds = !(test.regex as RegExp).test(subject);
          break;
      }
      if (holds) return test.answer;
    }
    return null;
  }
}
