import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const VIDEO_STATES = ['queued', 'processing', 'ready', 'failed'] as const;
export type VideoState = (typeof VIDEO_STATES)[number];

/** How a video was processed: by the media-worker from the queue, or inside the upload request. */
export type ProcessingMode = 'queued' | 'in-request';

/** One rendition as stored: the key in object storage and its size. */
export interface StoredRendition {
  name: string;
  key: string;
  width: number;
  height: number;
  bytes: number;
}

const bigintAsNumber = { to: (value: number | null) => value, from: (value: string | null) => (value === null ? null : Number(value)) };

/** An uploaded video and where its processing stands (table `videos`, catalog database). */
@Entity('videos')
export class Video {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'owner_id' })
  ownerId!: string;

  @Column('text')
  state!: VideoState;

  /** 0-100, rising; 100 once ready. */
  @Column('smallint')
  progress!: number;

  /** The name the upload came with, shown to the owner; never used as a path. */
  @Column('text', { name: 'original_name', nullable: true })
  originalName!: string | null;

  @Column('text', { name: 'source_key' })
  sourceKey!: string;

  @Column('bigint', { name: 'source_bytes', transformer: bigintAsNumber })
  sourceBytes!: number;

  /** Bytes of the files made from it (renditions, HLS, thumbnail); 0 until it is ready. */
  @Column('bigint', { name: 'files_bytes', transformer: bigintAsNumber })
  filesBytes!: number;

  @Column('text', { name: 'format_name' })
  formatName!: string;

  @Column('text', { name: 'video_codec' })
  videoCodec!: string;

  @Column('integer', { name: 'duration_ms' })
  durationMs!: number;

  @Column('integer')
  width!: number;

  @Column('integer')
  height!: number;

  @Column('boolean', { name: 'has_audio' })
  hasAudio!: boolean;

  @Column('jsonb')
  renditions!: StoredRendition[];

  @Column('text', { name: 'thumbnail_key', nullable: true })
  thumbnailKey!: string | null;

  /** The HLS master playlist's key, when one was made. */
  @Column('text', { name: 'hls_key', nullable: true })
  hlsKey!: string | null;

  @Column('text', { name: 'processing_mode' })
  processingMode!: ProcessingMode;

  /** Processing runs started (retries included). */
  @Column('integer')
  attempts!: number;

  /** Why the last run failed (while retrying) or why the video failed for good. */
  @Column('text', { nullable: true })
  error!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column('timestamptz', { name: 'ready_at', nullable: true })
  readyAt!: Date | null;
}
