import type { MigrationInterface } from 'typeorm';

/** Migrations of every order shard database, oldest first; each shard tracks its own. */
export const SHARD_MIGRATIONS: Array<new () => MigrationInterface> = [];
