import { get, isApiError } from '../api';
import { h } from '../dom';
import { isFinal, playable, type Video } from '../media';
import type { Page } from '../page';
import { href } from '../router';
import { uploadFile } from '../upload';
import { errorBox, field, formatDate, isAbort, loading, notice, sleep } from '../ui';

const MAX_UPLOAD_BYTES = 500 * 1024 * 1024;
const POLL_MS = 1_000;

/** `#/videos`: upload a video with a progress bar; the list of the customer's videos. */
export const videosPage: Page = async ({ signal, navigate, setTitle }) => {
  setTitle('My videos');
  const file = h('input', { type: 'file', name: 'file', accept: 'video/*', required: true });
  const bar = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': 'Upload progress' });
  const percent = h('span', { class: 'muted', 'data-testid': 'upload-percent' });
  const status = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Upload');
  const form = h(
    'form',
    {
      class: 'upload',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const chosen = file.files?.[0];
        if (!chosen || button.disabled) return;
        if (chosen.size > MAX_UPLOAD_BYTES) return status.replaceChildren(errorBox(new Error(`that file is ${(chosen.size / 1048576).toFixed(0)} MB; the limit is ${MAX_UPLOAD_BYTES / 1048576} MB`)));
        button.disabled = true;
        bar.hidden = false;
        status.replaceChildren();
        try {
          const video = await uploadFile<Video>('/videos', chosen, {
            signal,
            headers: { 'content-type': chosen.type || 'application/octet-stream', 'x-filename': encodeURIComponent(chosen.name) },
            onProgress: (loaded, total) => {
              const value = Math.floor((loaded / total) * 100);
              bar.value = value;
              percent.textContent = `${value}%`;
            },
          });
          navigate(`/videos/${video.id}`);
        } catch (error) {
          if (isAbort(error)) return;
          status.replaceChildren(errorBox(error));
          button.disabled = false;
        }
      },
    },
    field('Video file', file, 'MP4, WebM, MOV… We make 360p and 720p versions for playback.'),
    h('div', { class: 'progress-row' }, bar, percent),
    button,
  );
  const list = h('div', null, loading());
  const root = h('section', null, h('h1', null, 'My videos'), form, status, h('h2', null, 'Uploaded'), list);
  void (async () => {
    try {
      const videos = await get<{ items: Video[] }>('/videos', signal);
      list.replaceChildren(videos.items.length === 0 ? notice('No videos yet.') : h('ul', { class: 'videos' }, videos.items.map(videoItem)));
    } catch (error) {
      if (!signal.aborted) list.replaceChildren(errorBox(error));
    }
  })();
  return root;
};

function videoItem(video: Video): HTMLElement {
  return h(
    'li',
    { 'data-video-id': video.id },
    video.thumbnailUrl ? h('img', { src: video.thumbnailUrl, alt: '', width: 160, height: 90, loading: 'lazy' }) : h('span', { class: 'thumb-placeholder' }),
    h('a', { href: href(`/videos/${video.id}`) }, video.title || `Video ${video.id.slice(0, 8)}`),
    h('span', { class: `badge badge-${video.state}` }, video.state),
    video.createdAt ? h('span', { class: 'muted' }, formatDate(video.createdAt)) : null,
  );
}

/** `#/videos/:id`: processing progress, then the player once a rendition is ready. */
export const videoPage: Page = async ({ route, signal, setTitle }) => {
  const id = route.params['id'] ?? '';
  setTitle('Video');
  const body = h('div', null, loading());
  const root = h('section', { class: 'video', 'data-video-id': id }, h('h1', null, 'Video'), body, h('p', null, h('a', { href: href('/videos') }, '← My videos')));

  const show = (video: Video) => {
    if (video.state === 'ready') {
      const sources = playable(video);
      const player = h('video', { controls: true, preload: 'metadata', playsinline: true, poster: video.thumbnailUrl ?? undefined, 'data-testid': 'player' });
      for (const rendition of [...sources].reverse()) player.append(h('source', { src: rendition.url, type: 'video/mp4', 'data-rendition': rendition.name }));
      body.replaceChildren(player, h('p', { class: 'muted' }, `Versions: ${sources.map((rendition) => rendition.name).join(', ')}`));
    } else if (video.state === 'failed') {
      body.replaceChildren(errorBox(new Error(`processing failed${video.error ? `: ${video.error}` : ''}`)));
    } else {
      const value = Math.max(0, Math.min(100, Math.round(video.progress)));
      body.replaceChildren(
        h('p', { 'data-testid': 'video-state' }, video.state === 'processing' ? `Processing… ${value}%` : 'Waiting for a worker…'),
        h('progress', { max: 100, value, 'aria-label': 'Processing progress' }),
      );
    }
  };

  void (async () => {
    try {
      for (;;) {
        const video = await get<Video>(`/videos/${encodeURIComponent(id)}`, signal);
        show(video);
        if (isFinal(video.state)) return;
        await sleep(POLL_MS, signal);
      }
    } catch (error) {
      if (signal.aborted) return;
      body.replaceChildren(isApiError(error, 404) ? notice('This video does not exist.') : errorBox(error));
    }
  })();
  return root;
};
