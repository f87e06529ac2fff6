/** What can go wrong with the payment provider, switched at runtime over the admin API. */
export interface Faults {
  /** Added to every payment request, in milliseconds. */
  latencyMs: number;
  /** Share of payment requests answered 503 (0..1). */
  errorRate: number;
  /** Accept payment requests and never answer them. */
  hang: boolean;
  /** Stop listening: connections to the payment port are refused. */
  refuseConnections: boolean;
}

export const NO_FAULTS: Faults = { latencyMs: 0, errorRate: 0, hang: false, refuseConnections: false };

/** Validates a partial fault update; returns the problems, or the merged faults. */
export function mergeFaults(current: Faults, input: unknown): { faults: Faults } | { problems: string[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { problems: ['body must be a JSON object'] };
  const update = input as Record<string, unknown>;
  const problems: string[] = [];
  const next = { ...current };
  for (const [key, value] of Object.entries(update)) {
    switch (key) {
      case 'latencyMs':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 600_000)
          problems.push('latencyMs must be a whole number from 0 to 600000');
        else next.latencyMs = value;
        break;
      case 'errorRate':
        if (typeof value !== 'number' || value < 0 || value > 1) problems.push('errorRate must be a number from 0 to 1');
        else next.errorRate = value;
        break;
      case 'hang':
      case 'refuseConnections':
        if (typeof value !== 'boolean') problems.push(`${key} must be true or false`);
        else next[key] = value;
        break;
      default:
        problems.push(`unknown fault "${key}"; faults: latencyMs, errorRate, hang, refuseConnections`);
    }
  }
  return problems.length > 0 ? { problems } : { faults: next };
}
