export default async function globalTeardown(): Promise<void> {
  globalThis.__TENK_E2E_CONTROL__?.close();
  await globalThis.__TENK_E2E_SHOP__?.stop();
}
