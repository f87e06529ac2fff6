import net from 'node:net';
import { bindFailureHolder, canBind, describeHolders, ensurePortsFree, socketsOnPort } from './ports';

const listen = (server: net.Server, port = 0): Promise<number> =>
  new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
const close = (server: net.Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

describe('tools/compose published ports', () => {
  it('names the variable, the port and the listener (this process) that holds it', async () => {
    const server = net.createServer();
    const port = await listen(server);
    try {
      expect(await canBind(port)).toBe(false);
      await expect(ensurePortsFree({ TENK_DOCKER_SHOP_PORT: port })).rejects.toThrow(
        new RegExp(`port ${port} \\(TENK_DOCKER_SHOP_PORT\\) is taken by a listener on 127\\.0\\.0\\.1:${port} of pid ${process.pid} \\(`),
      );
    } finally {
      await close(server);
    }
    expect(await canBind(port)).toBe(true);
    await expect(ensurePortsFree({ TENK_DOCKER_SHOP_PORT: port })).resolves.toBeUndefined();
  });

  it("finds a port held by an outgoing connection's local end (how an ephemeral port took one)", async () => {
    const server = net.createServer((socket) => socket.on('error', () => undefined));
    const serverPort = await listen(server);
    const client = net.connect(serverPort, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    const localPort = client.localPort!;
    try {
      expect(await canBind(localPort)).toBe(false);
      const sockets = socketsOnPort(localPort);
      expect(sockets).toContainEqual(
        expect.objectContaining({ local: `127.0.0.1:${localPort}`, remote: `127.0.0.1:${serverPort}`, state: 'ESTABLISHED' }),
      );
      const said = describeHolders(localPort, sockets);
      expect(said).toContain(`by a connection 127.0.0.1:${localPort} -> 127.0.0.1:${serverPort} (ESTABLISHED) of pid ${process.pid}`);
      await expect(ensurePortsFree({ TENK_DOCKER_JAEGER_UI_PORT: localPort })).rejects.toThrow(
        /ephemeral port range \d+-\d+: choose one below/,
      );
    } finally {
      client.destroy();
      await close(server);
    }
  });

  it("explains Docker's bind failures, and no other failure", () => {
    const ports = { TENK_DOCKER_JAEGER_UI_PORT: 27686 };
    const docker =
      'Error starting userland proxy: listen tcp4 127.0.0.1:27686: bind: address already in use\nERROR: Encountered errors while bringing up the project.';
    expect(bindFailureHolder(docker, ports)).toMatch(/^\nport 27686 \(TENK_DOCKER_JAEGER_UI_PORT\) is held by /);
    expect(bindFailureHolder('Bind for 127.0.0.1:27686 failed: port is already allocated', ports)).toContain(
      '(TENK_DOCKER_JAEGER_UI_PORT)',
    );
    expect(bindFailureHolder('service "api" is unhealthy', ports)).toBeUndefined();
  });
});
