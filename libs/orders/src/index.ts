export { ORDER_BUCKET_TABLES } from './bucket-tables';
export { orderShardFigures, type OrderShardFigures } from './shard-figures';
