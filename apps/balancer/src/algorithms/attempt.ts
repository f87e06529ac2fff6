import type { Template, VariableContext } from '../http/variables';

/**
 * What an algorithm knows about the request it picks for, and remembers across retries:
 * which peers were tried (a bit per peer index, as nginx's `tried` bitmap), and the hash
 * state of ip_hash/hash so a retry continues where the first pick left off.
 * The proxy's per-request object extends it, so picking allocates nothing.
 */
export class Attempt {
  /** Bits for peers 0-31; peers beyond use #triedHigh (rare: upstreams with > 32 servers). */
  #tried = 0;
  #triedHigh: Uint32Array | null = null;
  /** The client's address: ip_hash's key. */
  clientAddress = '';
  /** The request's variables, for `hash KEY` (null when picking outside a request). */
  variables: VariableContext | null = null;
  /** The evaluated `hash` key, computed on the first pick. */
  hashKey: string | null = null;
  /** Algorithm state carried across retries (nginx's hp->hash, rehash, tries). */
  hash = 0;
  rehash = 0;
  hashTries = 0;
  /** Peers handed to this request so far (first try included). */
  tries = 0;

  isTried(index: number): boolean {
    if (index < 32) return (this.#tried & (1 << index)) !== 0;
    const high = this.#triedHigh;
    if (high === null) return false;
    const slot = (index >> 5) - 1;
    return slot < high.length && (high[slot] & (1 << (index & 31))) !== 0;
  }

  markTried(index: number): void {
    if (index < 32) {
      this.#tried |= 1 << index;
      return;
    }
    const slot = (index >> 5) - 1;
    if (this.#triedHigh === null || this.#triedHigh.length <= slot) {
      const grown = new Uint32Array(slot + 1);
      if (this.#triedHigh) grown.set(this.#triedHigh);
      this.#triedHigh = grown;
    }
    this.#triedHigh[slot] |= 1 << (index & 31);
  }

  /** Evaluates `hash`'s key once per request. */
  keyFor(template: Template): string {
    if (this.hashKey === null) this.hashKey = this.variables === null ? '' : template.evaluate(this.variables);
    return this.hashKey;
  }
}
