import type { Random } from '../engine/random';
import type { RunStats } from '../engine/stats';
import type { ThinkTime } from '../engine/think-time';
import type { Behaviour } from '../engine/virtual-user';
import type { Catalog } from './catalog';
import type { TestUpload } from './test-video';

export type ScenarioName = 'browse' | 'buy' | 'upload';

/** What every user of a run shares. */
export interface ScenarioContext {
  readonly stats: RunStats;
  readonly random: Random;
  /** Pause between two pages. */
  readonly think: ThinkTime;
  /** Pause between two uploads of one uploader. */
  readonly uploadThink: ThinkTime;
  readonly catalog: Catalog;
  /** The video uploaders send (null unless a scenario of the run uploads). */
  readonly upload: TestUpload | null;
  /** Unique per run: keeps sign-up emails and idempotency keys apart between runs. */
  readonly runId: string;
  /** Milliseconds, for durations a scenario measures across requests. */
  now(): number;
}

/** A kind of user: what it does, one request at a time. */
export interface Scenario {
  readonly name: ScenarioName;
  readonly summary: string;
  readonly needsUpload: boolean;
  behaviour(id: number, context: ScenarioContext): Behaviour;
}
