/** Videos and reports as the api describes them (apps/api videos + reports). */

export type VideoState = 'uploaded' | 'queued' | 'processing' | 'ready' | 'failed';

export interface Rendition {
  name: string;
  url: string;
  width?: number;
  height?: number;
}

export interface Video {
  id: string;
  title?: string;
  state: VideoState;
  /** 0-100 while processing. */
  progress: number;
  renditions: Rendition[];
  thumbnailUrl?: string | null;
  error?: string | null;
  createdAt?: string;
}

export type ReportState = 'queued' | 'building' | 'ready' | 'failed' | 'expired';

export interface Report {
  id: string;
  type: string;
  state: ReportState;
  from?: string;
  to?: string;
  downloadUrl?: string | null;
  error?: string | null;
  createdAt?: string;
}

export const REPORT_CHOICES = [
  { type: 'sales-by-day', label: 'Sales by day', admin: true },
  { type: 'sales-by-product', label: 'Sales by product', admin: true },
  { type: 'my-orders', label: 'My orders', admin: false },
] as const;

/** Playable renditions, the smallest first (a phone loads 360p before 720p). */
export function playable(video: Video): Rendition[] {
  return [...video.renditions].sort((a, b) => (a.height ?? 0) - (b.height ?? 0));
}

export function isFinal(state: VideoState | ReportState): boolean {
  return state === 'ready' || state === 'failed' || state === 'expired';
}
