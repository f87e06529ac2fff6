/**
 * The videos table's per-owner accounting against the real catalog database: what an owner's
 * videos take, and that recording within the limits holds when many uploads finish at once.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@tenk/config';
import { createCatalogDataSource, type CatalogDatabase } from '@tenk/database';
import { MP4_CONTAINER } from './ffmpeg/containers';
import type { VideoProbe } from './ffmpeg/probe';
import { VideoRepository, type NewVideo } from './video-repository';
import { Video } from './video.entity';

const probe: VideoProbe = {
  formatName: MP4_CONTAINER.formatName,
  container: MP4_CONTAINER,
  videoCodec: 'h264',
  durationSeconds: 2,
  width: 320,
  height: 240,
  frameRate: 25,
  hasAudio: false,
};
let db: DataSource;
let videos: VideoRepository;
const owners: string[] = [];

function newVideo(ownerId: string, sourceBytes: number): NewVideo {
  const id = randomUUID();
  return { id, ownerId, originalName: null, sourceKey: `videos/${id}/source`, sourceBytes, probe, processingMode: 'queued' };
}

function newOwner(): string {
  const id = randomUUID();
  owners.push(id);
  return id;
}

beforeAll(async () => {
  db = createCatalogDataSource(loadConfig(), 'primary', [Video], 'video-repository-int');
  await db.initialize();
  // The repository reads and writes the primary only.
  videos = new VideoRepository({ primary: db } as unknown as CatalogDatabase);
});

afterAll(async () => {
  for (const ownerId of owners) await db.getRepository(Video).delete({ ownerId });
  await db.destroy();
});

describe('VideoRepository', () => {
  it("counts an owner's stored bytes (sources and files made from them) and videos in flight", async () => {
    const owner = newOwner();
    expect(await videos.usage(owner)).toEqual({ storedBytes: 0, inFlight: 0 });
    const [a, b, c] = [newVideo(owner, 1_000), newVideo(owner, 2_000), newVideo(owner, 4_000)];
    for (const video of [a, b, c]) await videos.create(video);
    await videos.markReady(a.id, { renditions: [], thumbnailKey: `videos/${a.id}/thumbnail.jpg`, hlsKey: null, filesBytes: 500 });
    await videos.markFailed(b.id, 'broken');
    expect(await videos.usage(owner)).toEqual({ storedBytes: 7_500, inFlight: 1 });
    expect(await videos.usage(newOwner())).toEqual({ storedBytes: 0, inFlight: 0 });
  });

  it('records, of many uploads finishing at once, only as many as fit the quota', async () => {
    const owner = newOwner();
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => videos.createWithin(newVideo(owner, 1_000), { storedBytes: 2_500, inFlight: 100 })),
    );
    expect(outcomes.filter((outcome) => 'created' in outcome)).toHaveLength(2);
    expect(outcomes.filter((outcome) => 'refused' in outcome && outcome.refused === 'stored-bytes')).toHaveLength(6);
    expect(await videos.usage(owner)).toEqual({ storedBytes: 2_000, inFlight: 2 });
  });

  it('records, of many uploads finishing at once, only as many as the videos in flight limit allows', async () => {
    const owner = newOwner();
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => videos.createWithin(newVideo(owner, 1_000), { storedBytes: 1_000_000, inFlight: 3 })),
    );
    expect(outcomes.filter((outcome) => 'created' in outcome)).toHaveLength(3);
    const refused = outcomes.find((outcome) => 'refused' in outcome);
    expect(refused).toEqual({ refused: 'in-flight', usage: { storedBytes: 3_000, inFlight: 3 } });
    expect(await db.getRepository(Video).countBy({ ownerId: owner })).toBe(3);
  });
});
