import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ErrorResponsesFilter } from './error-responses.filter';

/** Error answers that never leak internals (see ErrorResponsesFilter). */
@Module({ providers: [{ provide: APP_FILTER, useClass: ErrorResponsesFilter }] })
export class ErrorsModule {}
