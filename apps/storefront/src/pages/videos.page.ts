import type { VideoView } from '@tenk/contracts/api';
import { get, isApiError } from '../api';
import { h, replace } from '../dom';
import { isFinal, playable } from '../media';
import type { Page } from '../page';
import { href } from '../router';
import { uploadFile } from '../upload';
import { errorBox, field, formatDate, isAbort, loading, notice, sleep } from '../ui';

const POLL_MS = 1_000;

/** `#/videos`: upload a video with a progress bar; the customer's videos, newest first. */
export const videosPage: Page = ({ signal, navigate, setTitle }) => {
  setTitle('My videos');
  const file = h('input', { type: 'file', name: 'video', accept: 'video/*', required: true });
  const bar = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': 'Upload progress', 'data-testid': 'upload-progress' });
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
        button.disabled = true;
        bar.hidden = false;
        bar.value = 0;
        percent.textContent = '0%';
        status.replaceChildren();
        const body = new FormData();
        body.append('video', chosen, chosen.name);
        try {
          const video = await uploadFile<VideoView>('/videos', body, {
            signal,
            onProgress: (loaded, total) => {
              const value = Math.floor((loaded / total) * 100);
              bar.value = value;
              percent.textContent = value < 100 ? `${value}%` : '100%: checking the video…';
            },
          });
          navigate(`/videos/${video.id}`);
        } catch (error) {
          if (isAbort(error)) return;
          bar.hidden = true;
          percent.textContent = '';
          status.replaceChildren(errorBox(error));
          button.disabled = false;
        }
      },
    },
    field('Video file', file, 'MP4, WebM, MOV… Once uploaded it is made into 360p and 720p versions (never larger than the original).'),
    h('div', { class: 'progress-row' }, bar, percent),
    button,
  );
  const list = h('div', null, loading());
  void (async () => {
    try {
      const videos = await get<{ items: VideoView[] }>('/videos', signal);
      list.replaceChildren(
        videos.items.length === 0 ? notice('No videos yet.') : h('ul', { class: 'videos' }, videos.items.map(videoItem)),
      );
    } catch (error) {
      if (!signal.aborted) list.replaceChildren(errorBox(error));
    }
  })();
  return h('section', null, h('h1', null, 'My videos'), form, status, h('h2', null, 'Uploaded'), list);
};

function videoItem(video: VideoView): HTMLElement {
  return h(
    'li',
    { 'data-video-id': video.id },
    video.thumbnail
      ? h('img', { src: video.thumbnail.url, alt: '', width: 160, height: 90, loading: 'lazy' })
      : h('span', { class: 'thumb-placeholder', 'aria-hidden': 'true' }),
    h('a', { href: href(`/videos/${video.id}`) }, videoTitle(video)),
    h('span', { class: `badge badge-${video.state}` }, video.state === 'processing' ? `processing ${video.progress}%` : video.state),
    h('span', { class: 'muted' }, formatDate(video.createdAt)),
  );
}

function videoTitle(video: VideoView): string {
  return video.originalName ?? `Video ${video.id.slice(0, 8)}`;
}

/** `#/videos/:id`: processing progress, then the player once the renditions are ready. */
export const videoPage: Page = ({ route, signal, setTitle }) => {
  const id = route.params['id'] ?? '';
  setTitle('Video');
  const heading = h('h1', null, 'Video');
  const body = h('div', null, loading());

  const show = (video: VideoView) => {
    heading.textContent = videoTitle(video);
    setTitle(videoTitle(video));
    if (video.state === 'ready') {
      const sources = playable(video);
      const player = h('video', {
        controls: true,
        preload: 'metadata',
        playsinline: true,
        poster: video.thumbnail?.url,
        'data-testid': 'player',
      });
      for (const rendition of sources)
        player.append(h('source', { src: rendition.url, type: rendition.contentType, 'data-rendition': rendition.name }));
      body.replaceChildren(
        player,
        h(
          'p',
          { class: 'muted' },
          `${video.durationSeconds.toFixed(1)} s · versions: ${sources.map((rendition) => rendition.name).join(', ')}`,
        ),
      );
    } else if (video.state === 'failed') {
      body.replaceChildren(errorBox(new Error(`this video could not be processed${video.error ? `: ${video.error}` : ''}`)));
    } else {
      const value = Math.max(0, Math.min(100, Math.round(video.progress)));
      replace(
        body,
        h(
          'p',
          { 'data-testid': 'video-state' },
          video.state === 'processing' ? `Making the 360p and 720p versions… ${value}%` : 'Uploaded. Waiting for a worker to process it…',
        ),
        h('progress', { max: 100, value, 'aria-label': 'Processing progress' }),
        video.error ? h('p', { class: 'muted' }, `The last try failed (${video.error}); trying again.`) : null,
      );
    }
  };

  void (async () => {
    try {
      for (;;) {
        const video = await get<VideoView>(`/videos/${encodeURIComponent(id)}`, signal);
        show(video);
        if (isFinal(video.state)) return;
        await sleep(POLL_MS, signal);
      }
    } catch (error) {
      if (signal.aborted) return;
      body.replaceChildren(isApiError(error, 404) ? notice('There is no such video among yours.') : errorBox(error));
    }
  })();
  return h(
    'section',
    { class: 'video', 'data-video-id': id },
    heading,
    body,
    h('p', null, h('a', { href: href('/videos') }, '← My videos')),
  );
};
