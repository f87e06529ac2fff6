/** Videos and reports as the api describes them (apps/api/src/videos, apps/api/src/reports). */

export type VideoState = 'queued' | 'processing' | 'ready' | 'failed';

export interface Rendition {
  name: string;
  url: string;
  width: number;
  height: number;
  bytes: number;
  contentType: string;
}

export interface Video {
  id: string;
  url: string;
  state: VideoState;
  /** 0-100; 100 once ready. */
  progress: number;
  attempts: number;
  error: string | null;
  originalName: string | null;
  durationSeconds: number;
  renditions: Rendition[];
  hls: { url: string } | null;
  thumbnail: { url: string } | null;
  createdAt: string;
  readyAt: string | null;
}

export type ReportState = 'queued' | 'building' | 'ready' | 'failed' | 'expired';

export interface Report {
  id: string;
  url: string;
  type: string;
  from: string;
  to: string;
  state: ReportState;
  error: string | null;
  downloadUrl: string | null;
  rows: number | null;
  createdAt: string;
  expiresAt: string | null;
}

export const REPORT_CHOICES = [
  { type: 'sales-by-day', label: 'Sales by day (all customers)', admin: true },
  { type: 'sales-by-product', label: 'Sales by product (all customers)', admin: true },
  { type: 'my-orders', label: 'My orders by day', admin: false },
] as const;

export function reportLabel(type: string): string {
  return REPORT_CHOICES.find((choice) => choice.type === type)?.label ?? type;
}

/** Playable renditions, the largest first: the browser takes the first <source> it can play. */
export function playable(video: Video): Rendition[] {
  return [...video.renditions].filter((rendition) => rendition.contentType === 'video/mp4').sort((a, b) => b.height - a.height);
}

/** Whether polling can stop. */
export function isFinal(state: VideoState | ReportState): boolean {
  return state === 'ready' || state === 'failed' || state === 'expired';
}
