export default async function globalTeardown(): Promise<void> {
  await globalThis.__TENK_E2E_SHOP__?.stop();
}
