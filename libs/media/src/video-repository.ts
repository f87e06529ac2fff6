import { Injectable } from '@nestjs/common';
import type { EntityManager, Repository } from 'typeorm';
import { CatalogDatabase } from '@tenk/database';
import { Video, type ProcessingMode, type StoredRendition } from './video.entity';
import type { VideoProbe } from './ffmpeg/probe';

/** What one owner's videos take. */
export interface VideoUsage {
  /** Sources and every file made from them, as stored. */
  storedBytes: number;
  /** Videos queued or processing. */
  inFlight: number;
}

/** Limits a new video must leave its owner within (TENK_VIDEO_QUOTA_BYTES, TENK_VIDEO_MAX_IN_FLIGHT). */
export interface OwnerLimits {
  storedBytes: number;
  inFlight: number;
}

export type CreateOutcome = { created: Video } | { refused: 'stored-bytes' | 'in-flight'; usage: VideoUsage };

export interface NewVideo {
  id: string;
  ownerId: string;
  originalName: string | null;
  sourceKey: string;
  sourceBytes: number;
  probe: VideoProbe;
  processingMode: ProcessingMode;
}

/**
 * The `videos` table. Reads go to the primary: a video's state changes under its owner's eyes
 * (progress polling), and the replica's lag would show it going backwards.
 */
@Injectable()
export class VideoRepository {
  constructor(private readonly db: CatalogDatabase) {}

  get #videos(): Repository<Video> {
    return this.db.primary.getRepository(Video);
  }

  async create(input: NewVideo): Promise<Video> {
    const video = this.#newRow(input);
    await this.#videos.insert(video);
    return video;
  }

  /**
   * Inserts the video if its owner stays within `limits` with it: under a per-owner lock held
   * until the insert commits, so two uploads finishing at once cannot both fit in the room
   * for one. Otherwise inserts nothing and says which limit and what the owner already uses.
   */
  async createWithin(input: NewVideo, limits: OwnerLimits): Promise<CreateOutcome> {
    return this.db.primary.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`videos:owner:${input.ownerId}`]);
      const usage = await usageOf(manager, input.ownerId);
      if (usage.inFlight + 1 > limits.inFlight) return { refused: 'in-flight', usage };
      if (usage.storedBytes + input.sourceBytes > limits.storedBytes) return { refused: 'stored-bytes', usage };
      const video = this.#newRow(input);
      await manager.getRepository(Video).insert(video);
      return { created: video };
    });
  }

  /** What the owner's videos take now. */
  usage(ownerId: string): Promise<VideoUsage> {
    return usageOf(this.db.primary.manager, ownerId);
  }

  #newRow(input: NewVideo): Video {
    return this.#videos.create({
      id: input.id,
      ownerId: input.ownerId,
      state: input.processingMode === 'queued' ? 'queued' : 'processing',
      progress: 0,
      originalName: input.originalName,
      sourceKey: input.sourceKey,
      sourceBytes: input.sourceBytes,
      filesBytes: 0,
      formatName: input.probe.formatName,
      videoCodec: input.probe.videoCodec,
      durationMs: Math.round(input.probe.durationSeconds * 1000),
      width: input.probe.width,
      height: input.probe.height,
      hasAudio: input.probe.hasAudio,
      renditions: [],
      thumbnailKey: null,
      hlsKey: null,
      processingMode: input.processingMode,
      attempts: 0,
      error: null,
      readyAt: null,
    });
  }

  find(id: string): Promise<Video | null> {
    return this.#videos.findOneBy({ id });
  }

  /** The owner's videos, newest first. */
  listForOwner(ownerId: string, limit: number): Promise<Video[]> {
    return this.#videos.find({ where: { ownerId }, order: { createdAt: 'DESC' }, take: limit });
  }

  async markProcessing(id: string): Promise<void> {
    await this.#videos
      .createQueryBuilder()
      .update()
      .set({ state: 'processing', attempts: () => 'attempts + 1', progress: 0 })
      .where('id = :id', { id })
      .execute();
  }

  /** Raises the progress; never lowers it (updates may arrive out of order). */
  async updateProgress(id: string, percent: number): Promise<void> {
    await this.#videos
      .createQueryBuilder()
      .update()
      .set({ progress: percent })
      .where('id = :id AND progress < :percent AND state = :state', { id, percent, state: 'processing' })
      .execute();
  }

  async markReady(
    id: string,
    files: { renditions: StoredRendition[]; thumbnailKey: string; hlsKey: string | null; filesBytes: number },
  ): Promise<void> {
    await this.#videos.update({ id }, { state: 'ready', progress: 100, error: null, readyAt: new Date(), ...files });
  }

  /** A run failed and will be retried: back in the queue, with the reason shown meanwhile. */
  async markRetrying(id: string, reason: string): Promise<void> {
    await this.#videos.update({ id, state: 'processing' }, { state: 'queued', error: reason });
  }

  /** Failed for good (dead-lettered, or a failure inside the request). */
  async markFailed(id: string, reason: string): Promise<void> {
    await this.#videos
      .createQueryBuilder()
      .update()
      .set({ state: 'failed', error: reason })
      .where('id = :id AND state <> :ready', { id, ready: 'ready' })
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.#videos.delete({ id });
  }

  /** Deletes the row if no processing run is queued or under way for it; says whether it did. */
  async deleteSettled(id: string): Promise<boolean> {
    const result = await this.#videos
      .createQueryBuilder()
      .delete()
      .where('id = :id AND state IN (:...states)', { id, states: ['ready', 'failed'] })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}

async function usageOf(manager: EntityManager, ownerId: string): Promise<VideoUsage> {
  const [row] = (await manager.query(
    `SELECT COALESCE(SUM(source_bytes + files_bytes), 0) AS stored_bytes, COUNT(*) FILTER (WHERE state IN ('queued', 'processing')) AS in_flight FROM videos WHERE owner_id = $1`,
    [ownerId],
  )) as Array<{ stored_bytes: string; in_flight: string }>;
  return { storedBytes: Number(row.stored_bytes), inFlight: Number(row.in_flight) };
}
