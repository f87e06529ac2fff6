/** `@tenk/observability/testing`: helpers for this lib's users' tests (never imported by running code). */
export { countSdkSpanStarts } from './sdk-span-starts';
