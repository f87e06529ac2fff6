import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import { loadConfig, TenkConfig } from './tenk-config';

export const TENK_CONFIG = Symbol.for('tenk.config');

/** Injects the validated TenkConfig. */
export const InjectConfig = (): ParameterDecorator => Inject(TENK_CONFIG);

/**
 * Provides the validated configuration to every module. Mains load it before creating the
 * Nest app (so a bad variable fails before anything connects) and pass it in.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: TenkConfig = loadConfig()): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: TENK_CONFIG, useValue: config }],
      exports: [TENK_CONFIG],
    };
  }
}
