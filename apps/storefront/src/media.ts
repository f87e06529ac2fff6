/** Videos and reports as the storefront shows them; their shapes are the shared API contract (libs/contracts/src/api). */
import type { RenditionView, ReportState, VideoState, VideoView } from '@tenk/contracts/api';

export const REPORT_CHOICES = [
  { type: 'sales-by-day', label: 'Sales by day (all customers)', admin: true },
  { type: 'sales-by-product', label: 'Sales by product (all customers)', admin: true },
  { type: 'my-orders', label: 'My orders by day', admin: false },
] as const;

export function reportLabel(type: string): string {
  return REPORT_CHOICES.find((choice) => choice.type === type)?.label ?? type;
}

/** Playable renditions, the largest first: the browser takes the first <source> it can play. */
export function playable(video: VideoView): RenditionView[] {
  return [...video.renditions].filter((rendition) => rendition.contentType === 'video/mp4').sort((a, b) => b.height - a.height);
}

/** Whether polling can stop. */
export function isFinal(state: VideoState | ReportState): boolean {
  return state === 'ready' || state === 'failed' || state === 'expired';
}
