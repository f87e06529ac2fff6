import type { QueueName } from '../queues';

/**
 * One kind of Bull job: the queue it goes to, its versioned name (`video.transcode.v1`) and
 * the parser a worker runs on the payload. A payload that changes shape gets a new version
 * (a new contract) while workers still accept the old one until the queue has drained.
 */
export interface JobContract<T> {
  readonly queue: QueueName;
  /** The Bull job name: `<queue>.<what>.v<version>`. */
  readonly name: string;
  readonly version: number;
  /** Checks an untrusted payload (read back from Redis); throws a ContractError naming the field. */
  parse(input: unknown): T;
}

/** The payload type a contract carries. */
export type JobPayload<C> = C extends JobContract<infer T> ? T : never;

export function jobContract<T>(queue: QueueName, what: string, version: number, parse: (input: unknown) => T): JobContract<T> {
  return { queue, name: `${queue}.${what}.v${version}`, version, parse };
}
