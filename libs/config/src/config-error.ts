export interface ConfigProblem {
  /** The environment variable that holds the bad value. */
  name: string;
  value: string;
  problem: string;
}

const CONFIG_ERROR = Symbol.for('tenk.ConfigError');

/** Thrown at boot when configuration is invalid; its message names every bad variable. */
export class ConfigError extends Error {
  readonly [CONFIG_ERROR] = true;

  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      [
        `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
        ...problems.map((p) => `  ${p.name}=${JSON.stringify(p.value)}: ${p.problem}`),
        'Fix the variables above (or unset them to use the defaults) and start again.',
      ].join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export function isConfigError(error: unknown): error is ConfigError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[CONFIG_ERROR] === true;
}
