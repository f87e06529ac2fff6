/**
 * The tables whose rows belong to a bucket, as the feature that owns them describes them: the
 * bucket mover copies, verifies and deletes exactly these, and shard inspection counts them.
 * This lib knows buckets and shards, not what a feature keeps in them (the orders feature's list
 * is ORDER_BUCKET_TABLES in @tenk/orders).
 */
export interface BucketTable {
  /** What reports call its rows, e.g. `orders`; the key of MoveReport.copied and .deleted. */
  label: string;
  /** The table; it has a `bucket` column. */
  table: string;
  /** Its primary key columns. */
  key: readonly string[];
  /**
   * Rows the owning shard never deletes on its own (orders, unlike expiring idempotency keys):
   * before a move deletes the source's copy, each of them must be on the target.
   */
  kept?: boolean;
  /**
   * Tables whose rows travel with one row of this one (an order's lines): copied, replaced and
   * deleted with it (their foreign key cascades the delete). They have a `bucket` column too.
   */
  children?: readonly BucketChildTable[];
}

export interface BucketChildTable {
  label: string;
  table: string;
  /** The column that holds the parent's key (the parent's key is one column). */
  parentKey: string;
  /** Its primary key columns (the order of checksums). */
  key: readonly string[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Checks the names before they are put into SQL text (they come from code, never from a request). */
export function checkBucketTables(tables: readonly BucketTable[]): void {
  if (tables.length === 0) throw new Error('a bucket move needs at least one bucket table');
  for (const spec of tables) {
    for (const name of [
      spec.table,
      ...spec.key,
      ...(spec.children ?? []).flatMap((child) => [child.table, child.parentKey, ...child.key]),
    ]) {
      if (!IDENTIFIER.test(name)) throw new Error(`"${name}" is not a plain SQL identifier`);
    }
    if (spec.key.length === 0) throw new Error(`bucket table ${spec.table} has no key`);
    if ((spec.children ?? []).length > 0 && spec.key.length !== 1)
      throw new Error(`bucket table ${spec.table} has child tables, so its key must be one column`);
  }
}

/** The SQL expression of a row's key as one text value (columns joined with a space). */
export function keyExpression(key: readonly string[]): string {
  return key.length === 1 ? `${key[0]}::text` : `concat_ws(' ', ${key.map((column) => `${column}::text`).join(', ')})`;
}
