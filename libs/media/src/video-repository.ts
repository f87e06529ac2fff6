import { Injectable } from '@nestjs/common';
import type { Repository } from 'typeorm';
import { CatalogDatabase } from '@tenk/database';
import { Video, type ProcessingMode, type StoredRendition } from './video.entity';
import type { VideoProbe } from './ffmpeg/probe';

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
    const video = this.#videos.create({
      id: input.id,
      ownerId: input.ownerId,
      state: input.processingMode === 'queued' ? 'queued' : 'processing',
      progress: 0,
      originalName: input.originalName,
      sourceKey: input.sourceKey,
      sourceBytes: input.sourceBytes,
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
    await this.#videos.insert(video);
    return video;
  }

  find(id: string): Promise<Video | null> {
    return this.#videos.findOneBy({ id });
  }

  /** The owner's videos, newest first. */
  listForOwner(ownerId: string, limit: number): Promise<Video[]> {
    return this.#videos.find({ where: { ownerId }, order: { createdAt: 'DESC' }, take: limit });
  }

  async markProcessing(id: string): Promise<void> {
    await this.#videos.createQueryBuilder().update().set({ state: 'processing', attempts: () => 'attempts + 1', progress: 0 }).where('id = :id', { id }).execute();
  }

  /** Raises the progress; never lowers it (updates may arrive out of order). */
  async updateProgress(id: string, percent: number): Promise<void> {
    await this.#videos.createQueryBuilder().update().set({ progress: percent }).where('id = :id AND progress < :percent AND state = :state', { id, percent, state: 'processing' }).execute();
  }

  async markReady(id: string, files: { renditions: StoredRendition[]; thumbnailKey: string; hlsKey: string | null }): Promise<void> {
    await this.#videos.update({ id }, { state: 'ready', progress: 100, error: null, readyAt: new Date(), ...files });
  }

  /** A run failed and will be retried: back in the queue, with the reason shown meanwhile. */
  async markRetrying(id: string, reason: string): Promise<void> {
    await this.#videos.update({ id, state: 'processing' }, { state: 'queued', error: reason });
  }

  /** Failed for good (dead-lettered, or a failure inside the request). */
  async markFailed(id: string, reason: string): Promise<void> {
    await this.#videos.createQueryBuilder().update().set({ state: 'failed', error: reason }).where('id = :id AND state <> :ready', { id, ready: 'ready' }).execute();
  }

  async delete(id: string): Promise<void> {
    await this.#videos.delete({ id });
  }
}
