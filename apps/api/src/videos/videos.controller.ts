import { Controller, Delete, Get, HttpCode, HttpStatus, NotFoundException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HLS_FILE, RENDITION_FILE, videoKeys, VideoRepository, type Video } from '@tenk/media';
import { InjectObjectStore, isStorageError, sendObject, type ObjectStore } from '@tenk/storage';
import { AcceptsBody, CurrentUser } from '../auth/auth.decorators';
import { isUuid, LimitQuery } from '../common/list-query';
import type { SessionUser } from '../auth/session-user';
import { toVideoView, type VideoView } from './video.view';
import { VideoUploads } from './video-uploads.service';

/** Renditions never change once written; they are private to their owner. */
const FILE_CACHE = 'private, max-age=86400';

@ApiTags('videos')
@Controller('videos')
export class VideosController {
  constructor(
    private readonly uploads: VideoUploads,
    private readonly videos: VideoRepository,
    @InjectObjectStore() private readonly store: ObjectStore,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Upload a video',
    description:
      'The raw body (Content-Type video/* or application/octet-stream) or multipart/form-data with a file field "video". ' +
      'It is streamed to storage, checked with ffprobe, then queued for transcoding (202) or, with the async switch off, transcoded before the answer (201).',
  })
  @AcceptsBody('video/*', 'application/octet-stream', 'multipart/form-data')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 202, description: 'Accepted and queued; poll the URL in Location / body.url' })
  @ApiResponse({
    status: 413,
    description:
      'Larger than the upload limit (TENK_VIDEO_MAX_BYTES), or than the room left in your storage quota (TENK_VIDEO_QUOTA_BYTES)',
  })
  @ApiResponse({
    status: 415,
    description: 'Not a video in a container we read (MP4/MOV, WebM/Matroska, MPEG-TS): a playlist, an image, text, audio only',
  })
  @ApiResponse({ status: 422, description: 'A video over a limit: duration, resolution, frame rate, streams (TENK_VIDEO_MAX_*)' })
  @ApiResponse({
    status: 429,
    description:
      'Too many uploads from your address (TENK_VIDEO_UPLOADS_PER_CLIENT; see Retry-After), or too many of your videos still processing (TENK_VIDEO_MAX_IN_FLIGHT)',
  })
  async upload(
    @CurrentUser() user: SessionUser,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<VideoView> {
    try {
      const { video, mode } = await this.uploads.accept(req, user.id);
      const view = toVideoView(video);
      res.status(mode === 'queued' ? HttpStatus.ACCEPTED : HttpStatus.CREATED).header('Location', view.url);
      return view;
    } catch (error) {
      // A refused upload may not have been read to its end: close rather than reuse the connection.
      if (!req.raw.complete) res.header('Connection', 'close');
      throw error;
    }
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a video and its files (its owner or an admin), freeing its room in the storage quota' })
  @ApiResponse({ status: 204, description: 'Deleted' })
  @ApiResponse({ status: 409, description: 'It is still queued or processing: delete it once it is ready or failed' })
  async remove(@CurrentUser() user: SessionUser, @Param('id') id: string): Promise<void> {
    await this.uploads.delete(await this.#visible(user, id));
  }

  @Get()
  @ApiOperation({ summary: 'Your videos, newest first' })
  async list(@CurrentUser() user: SessionUser, @Query() query: LimitQuery): Promise<{ items: VideoView[] }> {
    return { items: (await this.videos.listForOwner(user.id, query.limit)).map(toVideoView) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A video: state, progress, renditions with URLs (its owner or an admin)' })
  async get(@CurrentUser() user: SessionUser, @Param('id') id: string, @Res({ passthrough: true }) res: FastifyReply): Promise<VideoView> {
    const video = await this.#visible(user, id);
    res.header('Cache-Control', 'no-store');
    return toVideoView(video);
  }

  // Fastify answers HEAD with the GET route (sendObject then sends headers only).
  @Get(':id/files/:file')
  @ApiOperation({ summary: 'A rendition (360p.mp4, 720p.mp4) or thumbnail.jpg; supports Range requests (seeking)' })
  async file(
    @CurrentUser() user: SessionUser,
    @Param('id') id: string,
    @Param('file') file: string,
    @Req() req: FastifyRequest,
    @Res() res: FastifyReply,
  ): Promise<void> {
    const video = await this.#visible(user, id);
    const key = this.#fileKey(video, file);
    await this.#send(req, res, key, `${id}/${file}`);
  }

  @Get(':id/hls/:file')
  @ApiOperation({ summary: 'HLS: master.m3u8, a rendition playlist, or a segment' })
  async hls(
    @CurrentUser() user: SessionUser,
    @Param('id') id: string,
    @Param('file') file: string,
    @Req() req: FastifyRequest,
    @Res() res: FastifyReply,
  ): Promise<void> {
    const video = await this.#visible(user, id);
    if (video.state !== 'ready' || !video.hlsKey || !HLS_FILE.test(file))
      throw new NotFoundException(`no HLS file ${file} for video ${id}`);
    await this.#send(req, res, videoKeys.hlsFile(video.id, file), `${id}/hls/${file}`);
  }

  /** The video if this user may see it: its owner, or an admin. Anyone else gets the same 404 as for a missing id. */
  async #visible(user: SessionUser, id: string): Promise<Video> {
    const video = isUuid(id) ? await this.videos.find(id) : null;
    if (!video || (video.ownerId !== user.id && user.role !== 'admin')) throw new NotFoundException(`no video ${id}`);
    return video;
  }

  /** Only names the video row lists map to keys: a request never names a path. */
  #fileKey(video: Video, file: string): string {
    if (video.state === 'ready') {
      if (file === 'thumbnail.jpg' && video.thumbnailKey) return video.thumbnailKey;
      const name = RENDITION_FILE.exec(file)?.[1];
      const rendition = name ? video.renditions.find((candidate) => candidate.name === name) : undefined;
      if (rendition) return rendition.key;
    }
    throw new NotFoundException(`no file ${file} for video ${video.id}${video.state === 'ready' ? '' : ` (it is ${video.state})`}`);
  }

  async #send(req: FastifyRequest, res: FastifyReply, key: string, label: string): Promise<void> {
    try {
      await sendObject(req.raw, res.raw, this.store, key, { cacheControl: FILE_CACHE });
    } catch (error) {
      if (isStorageError(error, 'not-found') && !res.raw.headersSent) throw new NotFoundException(`no file ${label}`);
      throw error;
    }
  }
}
