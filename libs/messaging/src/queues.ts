import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.module-definition';
import { DEAD_LETTER_QUEUE, type RegisteredQueueName } from './queue-registry';

/** The Bull queues this process opened (MessagingModule.forRoot({queues})), by name. */
@Injectable()
export class Queues {
  readonly #names: RegisteredQueueName[];

  constructor(
    @Inject(MESSAGING_OPTIONS) options: MessagingOptions,
    private readonly moduleRef: ModuleRef,
  ) {
    this.#names = [...options.queues, DEAD_LETTER_QUEUE];
  }

  get names(): readonly RegisteredQueueName[] {
    return this.#names;
  }

  get(name: RegisteredQueueName): Queue {
    if (!this.#names.includes(name)) {
      throw new Error(
        `queue "${name}" is not open in this process; add it to MessagingModule.forRoot({ queues }) (open: ${this.#names.join(', ')})`,
      );
    }
    return this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
  }
}
