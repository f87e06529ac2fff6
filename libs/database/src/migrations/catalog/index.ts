import type { MigrationInterface } from 'typeorm';
import { CatalogAndUsers1732780800000 } from './1732780800000-catalog-and-users';

/** Migrations of the catalog database, oldest first. Add new ones at the end. */
export const CATALOG_MIGRATIONS: Array<new () => MigrationInterface> = [CatalogAndUsers1732780800000];
