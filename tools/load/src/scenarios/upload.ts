import { sampleThinkTime } from '../engine/think-time';
import type { EndpointStats } from '../engine/stats';
import type { Behaviour, RequestPlan, ResponseView } from '../engine/virtual-user';
import { Account } from './account';
import type { Scenario, ScenarioContext } from './scenario';
import type { TestUpload } from './test-video';

type Step = 'enter' | 'upload' | 'poll';

const POLL_MS = 2_000;
/** Give up watching one video after this many polls (3 minutes at 2 s). */
const MAX_POLLS = 90;
const DONE = new Set(['ready', 'done', 'completed', 'complete', 'processed', 'available']);
const FAILED = new Set(['failed', 'error', 'dead', 'dead-letter', 'dead_letter', 'rejected']);

/**
 * A creator: signs up, uploads a small real video (POST /videos), then watches it being
 * processed (GET /videos/:id every 2 s) until it is ready or failed, which the report shows
 * as the journey "video: upload -> ready". Then waits the upload think time and uploads again.
 *
 * The videos API is optional here: until it is deployed (404 "Cannot POST /videos") the
 * report notes it and uploaders wait their upload think time between tries.
 */
export class UploadingUser implements Behaviour {
  readonly #context: ScenarioContext;
  readonly #account: Account;
  readonly #payload: TestUpload;
  readonly #upload: EndpointStats;
  readonly #status: EndpointStats;
  #step: Step = 'enter';
  #pollPath = '';
  #polls = 0;
  #uploadedAt = 0;

  constructor(id: number, context: ScenarioContext) {
    if (context.upload === null) throw new Error('the upload scenario needs a test upload');
    this.#context = context;
    this.#payload = context.upload;
    this.#account = new Account('uploader', id, context);
    this.#upload = context.stats.endpoint('POST /videos', true);
    this.#status = context.stats.endpoint('GET /videos/:id', true);
  }

  plan(request: RequestPlan): void {
    switch (this.#step) {
      case 'enter':
        this.#account.planEntry(request);
        return;
      case 'upload': {
        const upload = this.#payload;
        request.endpoint = this.#upload;
        request.method = 'POST';
        request.path = '/videos';
        request.body = upload.body;
        request.contentType = upload.contentType;
        request.readBody = true;
        this.#uploadedAt = this.#context.now();
        return;
      }
      case 'poll':
        request.endpoint = this.#status;
        request.path = this.#pollPath;
        request.readBody = true;
        return;
    }
  }

  after(response: ResponseView): number {
    const context = this.#context;
    switch (this.#step) {
      case 'enter':
        if (this.#account.afterEntry(response)) this.#step = 'upload';
        return sampleThinkTime(context.think, context.random);
      case 'upload': {
        if (response.status === 401) {
          this.#step = 'enter';
          return sampleThinkTime(context.think, context.random);
        }
        const video = response.ok ? readVideo(response.body) : null;
        if (video === null || !this.#status.deployed) return sampleThinkTime(context.uploadThink, context.random);
        this.#pollPath = video.path;
        this.#polls = 0;
        this.#step = 'poll';
        return POLL_MS / 2;
      }
      case 'poll': {
        this.#polls += 1;
        const state = response.ok ? readVideo(response.body)?.state : undefined;
        const finished = state !== undefined && (DONE.has(state) || FAILED.has(state));
        if (finished)
          context.stats.journey(
            DONE.has(state) ? 'video: upload -> ready' : 'video: upload -> failed',
            (context.now() - this.#uploadedAt) * 1_000,
          );
        if (finished || this.#polls >= MAX_POLLS || response.notDeployed || response.status === 404) {
          this.#step = 'upload';
          return sampleThinkTime(context.uploadThink, context.random);
        }
        return POLL_MS;
      }
    }
  }
}

/**
 * The video in an upload or status response: its id (or URL) and its state, read leniently
 * (`state` or `status`; `url`, `location` or `/videos/<id>`), since the body is another team's.
 */
export function readVideo(body: string | null): { path: string; state: string | undefined } | null {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body ?? 'null') as Record<string, unknown>;
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object') return null;
  const id = parsed['id'] ?? parsed['videoId'];
  const url = [parsed['url'], parsed['location'], parsed['statusUrl']].find(
    (value): value is string => typeof value === 'string' && /^\/videos\/[^/]+$/.test(value),
  );
  const path = url ?? (typeof id === 'string' || typeof id === 'number' ? `/videos/${encodeURIComponent(String(id))}` : null);
  if (path === null) return null;
  const state = parsed['state'] ?? parsed['status'];
  return { path, state: typeof state === 'string' ? state.toLowerCase() : undefined };
}

export const upload: Scenario = {
  name: 'upload',
  summary: 'creators: sign up, POST /videos with a small real video, poll until processed',
  needsUpload: true,
  behaviour: (id, context) => new UploadingUser(id, context),
};
