import type { PipeTransform } from '@nestjs/common';
import { ContractError } from '@tenk/contracts';

/**
 * `@Payload(new EventContractPipe('OrderPlaced', parseOrderPlacedV1))`: the raw message value
 * as an event of `type`, checked against its contract; `undefined` for another event type on
 * the same topic (the handler has nothing to do). A value that is not JSON, or that breaks the
 * contract, throws ContractError: KafkaEventExceptionFilter skips and counts it.
 */
export class EventContractPipe<T> implements PipeTransform<Buffer, T | undefined> {
  constructor(
    private readonly type: string,
    private readonly parse: (value: unknown) => T,
  ) {}

  transform(raw: Buffer): T | undefined {
    let value: unknown;
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      throw new ContractError(`not JSON: ${(error as Error).message}`);
    }
    if ((value as { type?: unknown } | null)?.type !== this.type) return undefined;
    return this.parse(value);
  }
}
