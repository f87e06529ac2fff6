/**
 * The HTTP API's answers, as one contract: the api returns these shapes (its views and Swagger
 * classes are typed against them) and the storefront reads them (`import type` from
 * `@tenk/contracts/api`), so a field renamed on one side fails the other's type-check instead
 * of a page in production. Types only: nothing here runs, and the browser bundle gets nothing.
 */
import type { ReportState, ReportType } from '../reports/report-types';

export type { ReportState, ReportType };

export type Role = 'customer' | 'admin';

/** POST /auth/login, GET /auth/session (`user`), POST /users, GET /users/me */
export interface UserView {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** GET /products/:id */
export interface ProductView {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  priceCents: number;
  currency: string;
  stock: number;
  image: string | null;
  updatedAt: string;
}

/** GET /products */
export interface ProductPage {
  items: ProductView[];
  page: number;
  limit: number;
  total: number;
}

export interface OrderLineView {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
  lineTotalCents: number;
}

/** POST /orders, GET /orders/:id */
export interface OrderView {
  id: string;
  status: 'placed' | 'cancelled';
  customerId: string;
  totalCents: number;
  currency: string;
  lines: OrderLineView[];
  createdAt: string;
}

/** GET /customers/me/orders: `next` is the cursor for the next page, null on the last. */
export interface OrderPage {
  items: OrderView[];
  next: string | null;
}

export type VideoState = 'queued' | 'processing' | 'ready' | 'failed';

export interface FileLink {
  url: string;
}

export interface RenditionView extends FileLink {
  name: string;
  width: number;
  height: number;
  bytes: number;
  contentType: 'video/mp4';
}

/** GET /videos/:id: where a video stands, and where its files are once it is ready. */
export interface VideoView {
  id: string;
  url: string;
  state: VideoState;
  /** 0-100; 100 once ready. */
  progress: number;
  /** Processing runs so far (retries included). */
  attempts: number;
  /** Why the last run failed (while it is retried) or why the video failed for good. */
  error: string | null;
  processingMode: 'queued' | 'in-request';
  originalName: string | null;
  durationSeconds: number;
  width: number;
  height: number;
  sizeBytes: number;
  renditions: RenditionView[];
  /** An HLS master playlist over the same renditions (adaptive streaming). */
  hls: FileLink | null;
  thumbnail: FileLink | null;
  createdAt: string;
  readyAt: string | null;
}

/** GET /reports/:id */
export interface ReportView {
  id: string;
  url: string;
  type: ReportType;
  from: string;
  to: string;
  state: ReportState;
  error: string | null;
  /** Set once ready: where to fetch the CSV, until it expires. */
  downloadUrl: string | null;
  rows: number | null;
  bytes: number | null;
  createdAt: string;
  completedAt: string | null;
  expiresAt: string | null;
}

/**
 * One host of a shop on many (tools/hosts), as the launcher's control API lists it (`GET /hosts`)
 * and the map reads it.
 */
export interface HostStatus {
  name: string;
  address: string;
  /** Its cable to the bridge: `up`, `CUT` (both ways), `CUT in`, `CUT out`, or `absent`. */
  link: string;
  /** What runs there, and whether each is healthy. */
  services: Array<{ name: string; healthy: boolean }>;
}
