import { HttpException, HttpStatus, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { formatByteSize, InjectConfig, type TenkConfig, type UploadQuotas } from '@tenk/config';
import { VideoRepository, type NewVideo, type Video, type VideoUsage } from '@tenk/media';
import { clientAddress } from '../auth/client-address';
import { RateLimiter } from '../common/rate-limit/rate-limiter';

/** Why an upload was refused by a limit, for the uploads metric. */
export type LimitOutcome = 'rate_limited' | 'in_flight' | 'over_quota';

/** An upload refused by one of the limits below; `outcome` labels it in the metrics. */
export class UploadLimitError extends HttpException {
  constructor(
    readonly outcome: LimitOutcome,
    status: HttpStatus,
    message: string,
    retryAfterSeconds?: number,
  ) {
    super(
      {
        statusCode: status,
        error: status === HttpStatus.PAYLOAD_TOO_LARGE ? 'Payload Too Large' : 'Too Many Requests',
        message,
        ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
      },
      status,
    );
  }
}

/**
 * What one client and one customer may upload (issue 12): a rate per client address, shared by
 * every api instance (RateLimiter, in Redis); and per customer, a storage quota and a number of
 * videos queued or processing at once (counted in the videos table, checked again under a lock
 * when the video is recorded). Each refusal is a 413 or 429 naming the limit and its variable.
 *
 * The cheap checks run before a byte of the upload is read (`admit`); the exact one when the
 * video is recorded (`record`): two uploads of one customer may both be admitted, but only
 * what fits is recorded.
 */
@Injectable()
export class UploadLimits {
  readonly #quotas: UploadQuotas;

  constructor(
    @InjectConfig() config: TenkConfig,
    private readonly rates: RateLimiter,
    private readonly videos: VideoRepository,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('upload-limits');
    this.#quotas = config.media.quotas;
  }

  /**
   * Counts the request against its client's rate and checks the customer's room, given the
   * size the client declared (raw bodies only: null when unknown). Returns what the customer
   * uses and how many bytes the upload may have before it no longer fits the quota.
   */
  async admit(req: FastifyRequest, ownerId: string, declaredBytes: number | null): Promise<{ usage: VideoUsage; roomBytes: number }> {
    const client = clientAddress(req);
    await this.#countRequest(client);
    const usage = await this.videos.usage(ownerId);
    if (usage.inFlight >= this.#quotas.inFlight) throw this.#tooManyInFlight(usage);
    const roomBytes = this.#quotas.storedBytes - usage.storedBytes;
    if (roomBytes <= 0 || (declaredBytes !== null && declaredBytes > roomBytes)) throw this.#overQuota(usage, declaredBytes);
    return { usage, roomBytes };
  }

  /** The upload went past the room `admit` gave it. */
  quotaExceeded(usage: VideoUsage, uploadBytes: number | null): UploadLimitError {
    return this.#overQuota(usage, uploadBytes);
  }

  /** Records the video if its owner is still within both limits with it; throws UploadLimitError otherwise. */
  async record(input: NewVideo): Promise<Video> {
    const outcome = await this.videos.createWithin(input, { storedBytes: this.#quotas.storedBytes, inFlight: this.#quotas.inFlight });
    if ('created' in outcome) return outcome.created;
    if (outcome.refused === 'in-flight') throw this.#tooManyInFlight(outcome.usage);
    throw this.#overQuota(outcome.usage, input.sourceBytes);
  }

  async #countRequest(client: string): Promise<void> {
    const { uploadsPerClient, windowMs } = this.#quotas;
    let count;
    try {
      [count] = await this.rates.hit({ key: `video-uploads:client:${client}`, limit: uploadsPerClient, windowMs });
    } catch (error) {
      this.logger.error({ err: error }, 'could not count an upload against its client rate: upload refused');
      throw new ServiceUnavailableException({
        message: 'uploads are paused: the upload rate counters (Redis) cannot be reached; try again in a minute',
        retryAfterSeconds: 30,
      });
    }
    if (!count.over) return;
    this.logger.warn(
      { client, count: count.count, retryAfterSeconds: count.retryAfterSeconds },
      'upload refused: too many from this client',
    );
    throw new UploadLimitError(
      'rate_limited',
      HttpStatus.TOO_MANY_REQUESTS,
      `too many uploads from your address: the limit is ${uploadsPerClient} every ${describeWindow(windowMs)} (TENK_VIDEO_UPLOADS_PER_CLIENT); try again in ${count.retryAfterSeconds} s`,
      count.retryAfterSeconds,
    );
  }

  #tooManyInFlight(usage: VideoUsage): UploadLimitError {
    return new UploadLimitError(
      'in_flight',
      HttpStatus.TOO_MANY_REQUESTS,
      `${usage.inFlight} of your videos are still being processed; the limit is ${this.#quotas.inFlight} at a time (TENK_VIDEO_MAX_IN_FLIGHT): upload this one when one of them is ready`,
    );
  }

  #overQuota(usage: VideoUsage, uploadBytes: number | null): UploadLimitError {
    const quota = formatByteSize(this.#quotas.storedBytes);
    const upload = uploadBytes === null ? 'this upload does not fit' : `this upload (${formatByteSize(uploadBytes)}) does not fit`;
    return new UploadLimitError(
      'over_quota',
      HttpStatus.PAYLOAD_TOO_LARGE,
      `your videos take ${formatByteSize(usage.storedBytes)} of your ${quota} storage quota (TENK_VIDEO_QUOTA_BYTES); ${upload}: delete videos you no longer need (DELETE /videos/:id)`,
    );
  }
}

/** 600000 -> `10 min`, 45000 -> `45 s`. */
function describeWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}
