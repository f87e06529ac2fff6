import { eventually } from '@tenk/testing';
import { describeWhenLanded, ShopClient, testVideo } from './access-support';

interface VideoView {
  id: string;
  url: string;
  state: string;
  renditions: Array<{ name: string; url: string }>;
  thumbnail: { url: string } | null;
}

interface ReportView {
  id: string;
  url: string;
  state: string;
  downloadUrl: string | null;
}

/**
 * Videos and reports (issue 6) through the balancer: each customer's are their own. Another
 * customer's id answers 404, as an id that does not exist, for the record and for its files.
 */
describeWhenLanded('videos')('videos: each customer sees only their own', () => {
  let alice: ShopClient;
  let bob: ShopClient;
  let video: VideoView;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([ShopClient.customer('alice-video'), ShopClient.customer('bob-video')]);
    const upload = await alice.request<VideoView>('POST', '/videos', { raw: { data: await testVideo(), contentType: 'video/mp4' } });
    expect([201, 202]).toContain(upload.status);
    video = upload.body;
  });

  it('refuses an upload from someone not signed in (401)', async () => {
    const reply = await new ShopClient().request('POST', '/videos', { raw: { data: await testVideo(), contentType: 'video/mp4' } });
    expect(reply.status).toBe(401);
  });

  it("answers 404 to another customer's video, and leaves it out of their list", async () => {
    expect((await alice.request('GET', video.url)).status).toBe(200);
    expect((await bob.request('GET', video.url)).status).toBe(404);
    const bobs = await bob.request<{ items: VideoView[] }>('GET', '/videos');
    expect(bobs.body.items.map((item) => item.id)).not.toContain(video.id);
    const alices = await alice.request<{ items: VideoView[] }>('GET', '/videos');
    expect(alices.body.items.map((item) => item.id)).toContain(video.id);
  });

  it('pages the list with ?limit= (1 to 100) and answers 400 naming a bad limit', async () => {
    const one = await alice.request<{ items: VideoView[] }>('GET', '/videos?limit=1');
    expect(one.status).toBe(200);
    expect(one.body.items).toHaveLength(1);
    for (const path of ['/videos?limit=0', '/videos?limit=101', '/reports?limit=many']) {
      const reply = await alice.request('GET', path);
      expect([path, reply.status]).toEqual([path, 400]);
      expect(JSON.stringify(reply.body)).toContain('limit');
    }
  });

  it("serves a ready video's files to its owner only", async () => {
    const ready = await eventually(
      async () => {
        const reply = await alice.request<VideoView>('GET', video.url);
        if (reply.body.state === 'failed') throw new Error(`the video failed: ${reply.text}`);
        return reply.body.state === 'ready' ? reply.body : undefined;
      },
      'the uploaded video did not become ready',
      90_000,
      500,
    );
    const rendition = ready.renditions[0]!;
    const own = await alice.request('GET', rendition.url, { headers: { range: 'bytes=0-99' } });
    expect(own.status).toBe(206);
    expect((await bob.request('GET', rendition.url)).status).toBe(404);
    expect((await new ShopClient().request('GET', rendition.url)).status).toBe(401);
    if (ready.thumbnail) expect((await bob.request('GET', ready.thumbnail.url)).status).toBe(404);
  });
});

describeWhenLanded('reports')('reports: each customer sees only their own; sales reports need admin', () => {
  let alice: ShopClient;
  let bob: ShopClient;
  let admin: ShopClient;
  const range = { from: new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10), to: new Date().toISOString().slice(0, 10) };

  beforeAll(async () => {
    [alice, bob, admin] = await Promise.all([ShopClient.customer('alice-report'), ShopClient.customer('bob-report'), ShopClient.admin()]);
  });

  it('refuses sales reports over every customer to a customer (403), grants them to an admin', async () => {
    const refused = await alice.request('POST', '/reports', { body: { type: 'sales-by-day', ...range } });
    expect(refused.status).toBe(403);
    const granted = await admin.request<ReportView>('POST', '/reports', { body: { type: 'sales-by-product', ...range } });
    expect(granted.status).toBe(202);
  });

  it("answers 404 to another customer's report and its download, and 401 without a session", async () => {
    const requested = await alice.request<ReportView>('POST', '/reports', { body: { type: 'my-orders', ...range } });
    expect(requested.status).toBe(202);
    const report = requested.body;
    const ready = await eventually(
      async () => {
        const reply = await alice.request<ReportView>('GET', report.url);
        if (reply.body.state === 'failed') throw new Error(`the report failed: ${reply.text}`);
        return reply.body.state === 'ready' ? reply.body : undefined;
      },
      'the report was not built',
      60_000,
      250,
    );
    const download = await alice.request('GET', ready.downloadUrl!);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toContain('text/csv');

    expect((await bob.request('GET', report.url)).status).toBe(404);
    expect((await bob.request('GET', ready.downloadUrl!)).status).toBe(404);
    expect((await new ShopClient().request('GET', report.url)).status).toBe(401);
    const bobs = await bob.request<{ items: ReportView[] }>('GET', '/reports');
    expect(bobs.body.items.map((item) => item.id)).not.toContain(report.id);
  });
});
