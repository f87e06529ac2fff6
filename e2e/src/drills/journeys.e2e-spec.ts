/**
 * The two user journeys, end to end through the balancer: upload a video and watch it become
 * playable; sign up, place an order, receive the confirmation mail, see it in a report.
 */
import { eventually } from '@tenk/testing';
import { testVideo } from '../access-support';
import { mailsTo } from '../queues-support';
import { confirmationsFor, newCustomer, placeOrder } from './shop-client';

interface VideoView {
  id: string;
  state: string;
  renditions: Array<{ url: string; height?: number }>;
}

interface ReportView {
  url: string;
  state: string;
  error: string | null;
  downloadUrl: string | null;
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('user journeys', () => {
  it('uploads a video and watches it become playable (a rendition streams with Range)', async () => {
    const viewer = await newCustomer('journey-video');
    const upload = await viewer.request<VideoView>('POST', '/videos', {
      body: await testVideo(3),
      headers: { 'content-type': 'video/mp4' },
    });
    expect(upload.status).toBe(202);
    const ready = await eventually(
      async () => {
        const video = (await viewer.request<VideoView>('GET', `/videos/${upload.body.id}`)).body;
        if (video.state === 'failed') throw new Error(`transcode failed: ${JSON.stringify(video)}`);
        return video.state === 'ready' ? video : undefined;
      },
      'the video never became playable',
      180_000,
      500,
    );
    const rendition = ready.renditions[0];
    const part = await viewer.request('GET', rendition.url, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toMatch(/^bytes 0-99\/\d+$/);
    expect(part.headers.get('content-type')).toBe('video/mp4');
  });

  it('signs up, orders, gets the confirmation mail and sees the order in a report', async () => {
    const buyer = await newCustomer('journey-order');
    await eventually(
      async () => (await mailsTo(buyer.user.email)).some((mail) => mail.subject.startsWith('Welcome to tenk')),
      'no welcome mail',
      60_000,
      300,
    );

    const placed = await placeOrder(buyer, '31', 2);
    expect(placed.status).toBe(201);
    const order = placed.order!;
    expect(await confirmationsFor(buyer, order.id)).toBe(1);

    const range = { from: day(-1), to: day(1) };
    const csv = await eventually(
      async () => {
        const requested = await buyer.request<ReportView>('POST', '/reports', { json: { type: 'my-orders', ...range } });
        expect(requested.status).toBe(202);
        const report = await eventually(
          async () => {
            const reply = (await buyer.request<ReportView>('GET', requested.body.url)).body;
            if (reply.state === 'failed') throw new Error(`report failed: ${reply.error}`);
            return reply.state === 'ready' ? reply : undefined;
          },
          'the report was never built',
          60_000,
          300,
        );
        const text = (await buyer.request('GET', report.downloadUrl!)).text;
        const rows = text
          .trimEnd()
          .split('\r\n')
          .slice(1)
          .map((line) => line.split(','));
        // The aggregate is fed from Kafka: ask again until the order has been counted.
        const orders = rows.reduce((sum, row) => sum + Number(row[2]), 0);
        return orders >= 1 ? rows : undefined;
      },
      'the order never appeared in the report',
      90_000,
      1_000,
    );
    expect(csv.reduce((sum, row) => sum + Number(row[2]), 0)).toBe(1);
    expect(csv.reduce((sum, row) => sum + Number(row[3]), 0)).toBe(2);
    expect(csv.reduce((sum, row) => sum + Number(row[4]), 0)).toBe(order.totalCents);
  });
});
