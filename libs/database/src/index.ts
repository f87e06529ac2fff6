export { DatabaseModule } from './database.module';
export { DATABASE_OPTIONS, type DatabaseOptions } from './database.module-definition';
export { CatalogDatabase } from './catalog-database';
export { ShardDatabases } from './shard-databases';
export { LazyDataSource } from './lazy-data-source';
export { createCatalogDataSource, createShardDataSource, type EntityList, type CatalogRole } from './data-source.factory';
export { runAllMigrations, bootstrapShardMap, type MigrationReport } from './run-migrations';
export { ReadYourWrites, ConsistencyScope } from './replica/read-your-writes';
export { WRITE_LSN_COOKIE, WRITE_LSN_HEADER } from './replica/read-your-writes.middleware';
export { chooseReadTarget, type ReadDecision, type ReadReason, type ReadTarget } from './replica/read-routing';
export type { ReplicaState } from './replica/replica-state';
export { parseLsn, formatLsn, type Lsn } from './replica/wal-lsn';
export { isConnectionFailure } from './replica/connection-failure';
export {
  ShardRouter,
  ShardScope,
  SHARD_CALL_POLICY,
  BucketUnavailableError,
  isBucketUnavailable,
  type ShardCall,
  type ShardCallPolicy,
  type ShardOperation,
  type ScatterResult,
} from './sharding/shard-router';
export { ShardMap, compressRanges, byShardName, type BucketMove } from './sharding/shard-map';
export { loadShardMap, publishShardMap, shardMapHistory, ShardMapConflictError, isShardMapConflict } from './sharding/shard-map.store';
export { BucketNotOwnedError, isBucketNotOwned, type BucketState } from './sharding/bucket-fence';
export { bucketOfCustomer } from './sharding/buckets';
export { newOrderId, bucketOfOrderId, isOrderId, MAX_BUCKETS } from './sharding/order-id';
export { scatter, mergeSorted, ShardTimeoutError, isShardTimeout, type ScatterOptions, type ShardOutcome } from './sharding/scatter-gather';
export { encodeCursor, decodeCursor } from './sharding/keyset-cursor';
export { BucketMover, type MoveDatabases, type MoveReport, type RowCounts } from './sharding/bucket-mover';
export { checkBucketTables, type BucketTable, type BucketChildTable } from './sharding/bucket-tables';
export { shardStats, spread, locate, type ShardStats, type Located } from './sharding/shard-inspection';
export { catalogPrimaryClient } from './catalog-client';
export { createScratchDatabases, type ScratchDatabases, type ScratchOptions } from './scratch-databases';
