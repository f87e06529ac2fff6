import type { MigrationInterface } from 'typeorm';
import { Orders1795824000100 } from './1795824000100-orders';

/** Migrations of every order shard database, oldest first; each shard tracks its own. */
export const SHARD_MIGRATIONS: Array<new () => MigrationInterface> = [Orders1795824000100];
