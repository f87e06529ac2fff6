import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The storefront: plain TypeScript, built into dist/apps/storefront with content-hashed names
 * under assets/ (served by the balancer with `immutable`), and index.html (revalidated).
 * `npm run build` runs this build (tools/build); `nx serve storefront` runs Vite's dev server
 * with every api route proxied to a running shop (TENK_SHOP_URL, default the balancer :8080).
 */
const shop = process.env['TENK_SHOP_URL'] ?? 'http://127.0.0.1:8080';
// The api keeps its routes at the root: the dev server sends these prefixes to it.
const API_PREFIXES = ['/auth', '/users', '/products', '/images', '/orders', '/customers', '/videos', '/reports', '/admin', '/health'];

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  build: {
    outDir: '../../dist/apps/storefront',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // No source maps in the build: the balancer serves everything under assets/ to anyone, and
    // a map hands out the whole source. `nx serve storefront` (Vite's dev server) still has them.
    sourcemap: false,
    reportCompressedSize: false,
    // One entry chunk, no dynamic imports: the modulepreload polyfill would be dead weight.
    modulePreload: { polyfill: false },
  },
  server: {
    port: 5173,
    strictPort: false,
    proxy: Object.fromEntries(API_PREFIXES.map((prefix) => [prefix, { target: shop, changeOrigin: false }])),
  },
  logLevel: 'warn',
});
