import { Global, Module } from '@nestjs/common';
import { SwitchesService } from './switches.service';

/** Pattern switches (cache, breakers, async, replicaReads), shared across the shop's processes. */
@Global()
@Module({ providers: [SwitchesService], exports: [SwitchesService] })
export class SwitchesModule {}
