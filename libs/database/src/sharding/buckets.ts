import { createHash } from 'node:crypto';

/**
 * The logical bucket of a customer: the first 32 bits of SHA-256 of the id, modulo the bucket
 * count. Stable across processes, machines and languages (anyone can recompute it), and
 * uniform enough that 256 buckets each get their share. Case is ignored, as uuids are.
 */
export function bucketOfCustomer(customerId: string, buckets: number): number {
  const digest = createHash('sha256').update(customerId.trim().toLowerCase()).digest();
  return digest.readUInt32BE(0) % buckets;
}
