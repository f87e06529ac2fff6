const CONFIG_ERROR = Symbol.for('tenk.balancer.ConfigError');

/** Where in the configuration a problem is: the file, the line, and the directive on it. */
export interface ConfigLocation {
  file: string;
  line: number;
  /** The directive being read, when the problem belongs to one. */
  directive?: string;
}

/**
 * A configuration problem, named the way nginx names them: file, line and directive, then
 * what is wrong and (where it helps) what to write instead. `-t` prints it; a reload that
 * meets it logs it and keeps the running configuration.
 */
export class ConfigError extends Error {
  readonly [CONFIG_ERROR] = true;
  readonly file: string;
  readonly line: number;
  readonly directive: string | undefined;
  readonly problem: string;

  constructor(where: ConfigLocation, problem: string) {
    const directive = where.directive === undefined ? '' : ` "${where.directive}"`;
    super(`${where.file}${where.line > 0 ? `:${where.line}` : ''}:${directive} ${problem}`);
    this.name = 'ConfigError';
    this.file = where.file;
    this.line = where.line;
    this.directive = where.directive;
    this.problem = problem;
  }
}

export function isConfigError(error: unknown): error is ConfigError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[CONFIG_ERROR] === true;
}
