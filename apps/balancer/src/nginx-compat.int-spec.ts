import net from 'node:net';
import { request } from 'undici';
import { startBalancer, type RunningBalancer } from './testing/harness';

/**
 * nginx behaviours from its directive reference that tenk follows (issue 20), each against
 * real sockets: a raw TCP upstream where the bytes on the wire matter.
 */

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((item) => item.close()));
});

async function balancerWith(text: string): Promise<RunningBalancer> {
  const started = await startBalancer(`admin_listen 127.0.0.1:0;\naccess_log off;\n${text}`);
  running.push(started);
  return started;
}

/** An upstream that answers every request with the bytes given (as a raw socket would). */
async function rawUpstream(answer: string): Promise<{ address: string }> {
  const server = net.createServer((socket) => {
    socket.on('data', () => socket.write(answer));
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.unref();
      }),
  });
  return { address: `127.0.0.1:${(server.address() as net.AddressInfo).port}` };
}

describe('upstream responses with bare LF line endings (nginx accepts them)', () => {
  it('proxies a head ended by bare LFs and forwards it with CRLF', async () => {
    const up = await rawUpstream('HTTP/1.1 200 OK\nContent-Type: text/plain\nX-Lf: yes\nContent-Length: 5\n\nhello');
    const lb = await balancerWith(
      `upstream u { server ${up.address}; } server { listen 127.0.0.1:0; location / { proxy_pass http://u; } }`,
    );
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(lb.balancer.port(), '127.0.0.1', () =>
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw).toMatch(/\r\nX-Lf: yes\r\n/);
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/\n/);
    expect(raw.endsWith('\r\n\r\nhello')).toBe(true);
  });

  it('still refuses an ambiguous response (a bare CR ending a line): 502', async () => {
    const up = await rawUpstream('HTTP/1.1 200 OK\rX-A: b\r\nContent-Length: 0\r\n\r\n');
    const lb = await balancerWith(
      `upstream u { server ${up.address}; } server { listen 127.0.0.1:0; location / { proxy_pass http://u; } }`,
    );
    const response = await request(`${lb.url}/`);
    expect(response.statusCode).toBe(502);
    expect(await response.body.text()).toMatch(/invalid response/);
  });
});
