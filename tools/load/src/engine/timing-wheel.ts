/**
 * When each virtual user wakes up next, for thousands of users, without a timer each: a
 * hashed timing wheel (as in Netty and the Linux kernel). Time is cut into ticks of `tickMs`;
 * an entry sits in slot (tick mod slots), and one periodic `advance(now)` fires every entry
 * whose time has come (never early, at most one tick late). Scheduling and firing are O(1); an entry further away than one turn of
 * the wheel waits in its slot for the turn that is its own.
 *
 * Entries are small integer ids (virtual user numbers) so the wheel holds plain numbers and
 * the caller keeps its objects in an array. An id is scheduled at most once at a time.
 */
export interface TimingWheelOptions {
  /** Ids are 0 .. capacity-1. */
  capacity: number;
  /** Resolution: entries fire up to one tick late (default 5 ms). */
  tickMs?: number;
  /** Slots in one turn (default 4096: 20 s at 5 ms). */
  slots?: number;
  /** The time `advance` starts counting from (default 0). */
  startMs?: number;
}

export class TimingWheel {
  readonly tickMs: number;
  readonly #slots: number[][];
  /** Per id: the tick it is due at, or -1 when it is not scheduled. */
  readonly #dueTick: Float64Array;
  /** The last tick `advance` has processed. */
  #current: number;
  #pending = 0;

  constructor(options: TimingWheelOptions) {
    const { capacity, tickMs = 5, slots = 4096, startMs = 0 } = options;
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`timing wheel capacity must be a positive integer, got ${capacity}`);
    if (!(tickMs > 0)) throw new Error(`timing wheel tick must be positive, got ${tickMs}`);
    this.tickMs = tickMs;
    this.#slots = Array.from({ length: slots }, () => []);
    this.#dueTick = new Float64Array(capacity).fill(-1);
    this.#current = Math.floor(startMs / tickMs);
  }

  /** How many ids are waiting. */
  get pending(): number {
    return this.#pending;
  }

  isScheduled(id: number): boolean {
    return this.#dueTick[id] >= 0;
  }

  /** Fires `id` at `atMs` (or on the next advance, if that time has already passed). */
  schedule(id: number, atMs: number): void {
    if (!(id >= 0 && id < this.#dueTick.length && Number.isInteger(id)))
      throw new Error(`timing wheel id ${id} is outside 0..${this.#dueTick.length - 1}`);
    if (this.#dueTick[id] >= 0) throw new Error(`timing wheel id ${id} is already scheduled`);
    // Rounded up: an entry never fires early, and at most one tick (plus the caller's advance
    // interval) late.
    const tick = Math.max(Math.ceil(atMs / this.tickMs), this.#current + 1);
    this.#dueTick[id] = tick;
    this.#slots[tick % this.#slots.length].push(id);
    this.#pending += 1;
  }

  /**
   * Fires, in order of their slots, every id due at or before `nowMs`; returns how many.
   * `fire` may schedule ids again (they go at least one tick ahead). After a pause longer
   * than one turn, each slot is visited once and everything overdue fires.
   */
  advance(nowMs: number, fire: (id: number) => void): number {
    const target = Math.floor(nowMs / this.tickMs);
    if (target <= this.#current) return 0;
    const slots = this.#slots;
    const steps = Math.min(target - this.#current, slots.length);
    const first = this.#current + 1;
    this.#current = target;
    let fired = 0;
    for (let step = 0; step < steps; step++) {
      const slot = slots[(first + step) % slots.length];
      const length = slot.length;
      if (length === 0) continue;
      let kept = 0;
      for (let i = 0; i < length; i++) {
        const id = slot[i];
        if (this.#dueTick[id] <= target) {
          this.#dueTick[id] = -1;
          this.#pending -= 1;
          fired += 1;
          fire(id);
        } else {
          slot[kept++] = id;
        }
      }
      // Ids that `fire` scheduled into this very slot (a later turn) were appended after `length`.
      const appended = slot.length - length;
      for (let i = 0; i < appended; i++) slot[kept + i] = slot[length + i];
      slot.length = kept + appended;
    }
    return fired;
  }

  /** Drops every pending id (the end of a run). */
  clear(): void {
    for (const slot of this.#slots) slot.length = 0;
    this.#dueTick.fill(-1);
    this.#pending = 0;
  }
}
