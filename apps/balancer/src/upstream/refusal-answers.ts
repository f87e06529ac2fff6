import type { UpstreamConfig } from '../config/schema';
import type { AdmissionRefusal } from './admission-queue';

/** What a refusal at capacity asks of the client: about the time for the queue to turn over. */
export const RETRY_AFTER_SECONDS = 1;

/** The header every refusal by admission control carries (beside the usual ones). */
export const BUSY_HEADERS: readonly string[] = Object.freeze(['Retry-After', String(RETRY_AFTER_SECONDS)]);

/** Why admission control answered 503: no queue (at max_conns), or the queue's verdicts. */
export type BusyReason = 'at_capacity' | AdmissionRefusal | 'timed_out';

/**
 * An upstream's 503 + Retry-After bodies, one per reason, built once with the upstream (a
 * reload builds new ones): past capacity a balancer may refuse tens of thousands of requests a
 * second, and each refusal then writes bytes that are ready instead of formatting the same
 * sentence again.
 */
export class RefusalAnswers {
  readonly atCapacity: Buffer;
  readonly full: Buffer;
  readonly tooLong: Buffer;
  readonly timedOut: Buffer;

  constructor(config: Pick<UpstreamConfig, 'name' | 'queue'>) {
    const name = config.name;
    const queue = config.queue;
    this.atCapacity = body(`every server of upstream "${name}" is at max_conns`);
    this.full = body(`every server of upstream "${name}" is at max_conns and ${queue?.size ?? 0} requests are already waiting`);
    this.tooLong = body(
      `every server of upstream "${name}" is at max_conns and, at the pace its queue drains, this request would wait more than ${queue?.timeoutMs ?? 0} ms`,
    );
    this.timedOut = body(`no server of upstream "${name}" became free within the queue's timeout (${queue?.timeoutMs ?? 0} ms)`);
  }

  for(reason: BusyReason): Buffer {
    switch (reason) {
      case 'at_capacity':
        return this.atCapacity;
      case 'full':
        return this.full;
      case 'too_long':
        return this.tooLong;
      case 'timed_out':
        return this.timedOut;
    }
  }
}

function body(why: string): Buffer {
  return Buffer.from(`503 Service Unavailable: ${why}; retry in ${RETRY_AFTER_SECONDS} s\n`);
}
