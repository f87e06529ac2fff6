/**
 * Browser helpers for the storefront suites: Debian's chromium driven by playwright-core
 * (never a downloaded browser), pages that record every console error and uncaught
 * exception, and screenshots kept as test artifacts under .tenk/test-results/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { newClientAddress } from './access-support';

const ROOT = path.resolve(__dirname, '../..');
export const SCREENSHOTS = path.join(ROOT, '.tenk/test-results/screenshots');
export const CHROMIUM = process.env['TENK_CHROMIUM'] ?? '/usr/bin/chromium';

/** A phone (iPhone 12-sized, touch) and a laptop. */
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
export const DESKTOP = { viewport: { width: 1280, height: 800 } };

export interface StorefrontBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Chromium as this machine runs it: headless, no sandbox (root), no GPU, and none of the
 * background networking it would try (the network here is closed to it). Playwright gives
 * each launch a new empty profile of its own.
 */
export async function launchChromium(): Promise<StorefrontBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/** A page plus every error the page itself reported (console.error, uncaught exceptions). */
export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  errors: string[];
  /**
   * Runs a test's steps in this page, keeps a screenshot of where it stopped if one fails
   * (`<name>-failed.png`), and closes the page's context either way.
   */
  run(name: string, steps: () => Promise<void>): Promise<void>;
}

export async function openPage(browser: Browser, options: typeof PHONE | typeof DESKTOP): Promise<WatchedPage> {
  // Each page is a visitor of its own to the api (X-Forwarded-For, which the balancer extends),
  // so per-client limits such as sign-ups count it on its own, whatever other suites do.
  const context = await browser.newContext({
    ...options,
    baseURL: process.env['TENK_E2E_SHOP_URL'] ?? 'http://127.0.0.1:18080',
    extraHTTPHeaders: { 'x-forwarded-for': newClientAddress() },
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()} (${message.location().url})`);
  });
  const run = async (name: string, steps: () => Promise<void>) => {
    try {
      await steps();
    } catch (error) {
      await screenshot(page, `${name}-failed`).catch(() => undefined);
      throw error;
    } finally {
      await context.close();
    }
  };
  return { context, page, errors, run };
}

/** Saves a full-page PNG named after the test step; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name.replace(/[^a-z0-9-]+/gi, '-').toLowerCase()}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
