import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeWhenLanded, PASSWORD, ShopClient, testVideo, uniqueEmail } from './access-support';
import { DESKTOP, launchChromium, openPage, PHONE, SCREENSHOTS, screenshot, type StorefrontBrowser } from './storefront-support';

/**
 * Videos and reports in the browser (Debian's chromium, through the balancer): upload a small
 * generated video with a progress bar and watch it play once the media-worker has transcoded
 * it; an admin requests a sales report and downloads the CSV.
 */
describe('videos and reports in the browser', () => {
  let chromium: StorefrontBrowser;

  beforeAll(async () => {
    chromium = await launchChromium();
  });

  afterAll(async () => {
    await chromium.close();
  });

  describeWhenLanded('videos')('videos', () => {
    it('uploads a generated video with a progress bar, then plays it once transcoded', async () => {
      const { page, errors, run } = await openPage(chromium.browser, PHONE);
      await run('storefront-video-upload-and-play', async () => {
        const file = path.join(SCREENSHOTS, '..', 'storefront-upload.mp4');
        await writeFile(file, await testVideo(3));

        await page.goto('/#/signup');
        await page.getByLabel('Name').fill('Video Maker');
        await page.getByLabel('Email').fill(uniqueEmail('video-maker'));
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Create account' }).click();
        await page.getByTestId('nav-user').waitFor();
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Videos' }).click();
        await page.getByRole('heading', { name: 'My videos' }).waitFor();

        await page.getByLabel('Video file').setInputFiles(file);
        // Record every value the progress bar shows (the page moves on as soon as the upload ends).
        await page.evaluate(`window.progressSeen = [];
          new MutationObserver(() => window.progressSeen.push(document.querySelector('[data-testid=upload-progress]').value))
            .observe(document.querySelector('[data-testid=upload-progress]'), { attributes: true, attributeFilter: ['value'] });`);
        await page.getByRole('button', { name: 'Upload', exact: true }).click();
        await page.waitForURL(/#\/videos\/[0-9a-f-]{36}$/, { timeout: 30_000 });
        const progress = await page.evaluate<number[]>('window.progressSeen');
        expect(progress.length).toBeGreaterThan(0);
        expect(progress.at(-1)).toBe(100);
        await screenshot(page, 'storefront-video-1-processing');

        const player = page.getByTestId('player');
        await player.waitFor({ timeout: 90_000 });
        // Play it for real: muted autoplay is allowed; time must move.
        const played = await page.evaluate<{ duration: number; time: number; width: number }>(`(async () => {
          const video = document.querySelector('video');
          video.muted = true;
          await video.play();
          await new Promise((resolve) => video.addEventListener('timeupdate', function tick() { if (video.currentTime > 0.3) { video.removeEventListener('timeupdate', tick); resolve(); } }));
          video.pause();
          return { duration: video.duration, time: video.currentTime, width: video.videoWidth };
        })()`);
        expect(played.duration).toBeGreaterThan(2.5);
        expect(played.time).toBeGreaterThan(0.3);
        expect(played.width).toBeGreaterThan(0);
        await screenshot(page, 'storefront-video-2-playing');

        await page.getByRole('link', { name: '← My videos' }).click();
        await page.locator('ul.videos > li').first().waitFor();
        expect(await page.locator('ul.videos .badge').first().textContent()).toBe('ready');
        await screenshot(page, 'storefront-video-3-list');
        expect(errors).toEqual([]);
      });
    });
  });

  describeWhenLanded('reports')('reports', () => {
    it('lets an admin request a sales report and download the CSV', async () => {
      const admin = await ShopClient.admin();
      const { page, errors, run } = await openPage(chromium.browser, { ...DESKTOP, acceptDownloads: true } as typeof DESKTOP);
      await run('storefront-admin-report', async () => {
        await page.goto('/#/signin');
        await page.getByLabel('Email').fill(admin.user!.email);
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByTestId('nav-user').filter({ hasText: '(admin)' }).waitFor();
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
        await page.getByLabel('Report').selectOption('sales-by-product');
        await page.getByRole('button', { name: 'Request report' }).click();
        const link = page.getByTestId('report-status').getByTestId('report-download');
        await link.waitFor({ timeout: 60_000 });
        await screenshot(page, 'storefront-report-ready');
        const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
        expect(download.suggestedFilename()).toMatch(/^tenk-sales-by-product-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
        const failure = await download.failure();
        expect(failure).toBeNull();
        const csv = await readFile((await download.path())!, 'utf8');
        expect(csv.split('\n')[0]).toMatch(/,/);
        expect(errors).toEqual([]);
      });
    });

    it('offers a customer only their own orders report', async () => {
      const { page, errors, run } = await openPage(chromium.browser, PHONE);
      await run('storefront-customer-report', async () => {
        await page.goto('/#/signup');
        await page.getByLabel('Name').fill('Report Reader');
        await page.getByLabel('Email').fill(uniqueEmail('report-reader'));
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Create account' }).click();
        await page.getByTestId('nav-user').waitFor();
        await page.goto('/#/reports');
        const options = await page.getByLabel('Report').locator('option').allTextContents();
        expect(options).toEqual(['My orders by day']);
        expect(errors).toEqual([]);
      });
    });
  });
});
