import type { MigrationInterface } from 'typeorm';
import { Orders1795824000100 } from './1795824000100-orders';
import { OutboxTraceContext1796630400000 } from './1796630400000-outbox-trace-context';

/** Migrations of every order shard database, oldest first; each shard tracks its own. */
export const SHARD_MIGRATIONS: Array<new () => MigrationInterface> = [Orders1795824000100, OutboxTraceContext1796630400000];
