import { checkControlRequest, isStateChanging, type ControlRequestLike } from './control-request';
import { createControlToken } from './control-token';

const token = createControlToken();
const socket = { localAddress: '127.0.0.1', localPort: 8089 };

function request(method: string, headers: Record<string, string> = {}, at = socket): ControlRequestLike {
  return { method, headers: { host: '127.0.0.1:8089', ...headers }, socket: at };
}

const correct = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

describe('checkControlRequest', () => {
  it('lets a read through with this server as Host, whatever else it carries', () => {
    for (const host of ['127.0.0.1:8089', 'localhost:8089', 'LOCALHOST:8089', '127.0.0.2:8089'])
      expect(checkControlRequest(request('GET', { host }), { token })).toBeNull();
    expect(checkControlRequest(request('GET', { host: '[::1]:8089' }, { localAddress: '::1', localPort: 8089 }), { token })).toBeNull();
    expect(checkControlRequest(request('HEAD', { origin: 'https://evil.example' }), { token })).toBeNull();
  });

  it('refuses any request whose Host is another name or port (DNS rebinding)', () => {
    for (const host of [
      'evil.example:8089',
      'evil.example',
      '127.0.0.1.evil.example:8089',
      '127.0.0.1:8081',
      'user@127.0.0.1:8089',
      '127.0.0.1:8089/x',
      'localhost.:8089',
    ]) {
      const refusal = checkControlRequest(request('GET', { host }), { token });
      expect(refusal).toEqual({
        status: 403,
        message: `Host "${host}" is not this server: a control port answers only to its loopback address (127.0.0.1:8089), which keeps DNS-rebinding pages out`,
        headers: {},
      });
    }
    expect(checkControlRequest({ method: 'GET', headers: {}, socket }, { token })?.message).toBe(
      'the request has no Host header; send Host: 127.0.0.1:8089',
    );
  });

  it('takes the literal address a listener on another interface was reached on', () => {
    const bridge = { localAddress: '10.77.0.5', localPort: 8081 };
    expect(checkControlRequest(request('GET', { host: '10.77.0.5:8081' }, bridge), { token })).toBeNull();
    expect(checkControlRequest(request('GET', { host: '10.77.0.6:8081' }, bridge), { token })?.status).toBe(403);
  });

  it('lets a state change through with the token, a JSON body and its own Origin or none', () => {
    expect(checkControlRequest(request('POST', correct), { token })).toBeNull();
    expect(
      checkControlRequest(
        request('PUT', { ...correct, 'content-type': 'application/json; charset=utf-8', origin: 'http://127.0.0.1:8089' }),
        { token },
      ),
    ).toBeNull();
  });

  it('refuses a state change from another origin, without the token or without JSON', () => {
    const check = (headers: Record<string, string>, method = 'POST') =>
      checkControlRequest(request(method, headers), { token, tokenHint: 'see .tenk/control-token' });
    expect(check({ ...correct, origin: 'https://evil.example' })).toMatchObject({
      status: 403,
      message: expect.stringContaining('cross-site request refused: Origin "https://evil.example"'),
    });
    expect(check({ ...correct, origin: 'http://127.0.0.1:8082' })?.status).toBe(403);
    expect(check({ ...correct, origin: 'null' })?.status).toBe(403);
    expect(check({ 'content-type': 'application/json' })).toEqual({
      status: 401,
      message:
        'this call changes the running shop and needs the run\'s control token: send "Authorization: Bearer <token>" (see .tenk/control-token)',
      headers: { 'www-authenticate': 'Bearer realm="tenk control"' },
    });
    expect(check({ ...correct, authorization: `Bearer ${token}x` }, 'DELETE')).toMatchObject({
      status: 401,
      message: 'wrong control token; it changes at every npm start (see .tenk/control-token)',
    });
    expect(check({ ...correct, authorization: token })?.message).toMatch(/must be "Bearer <token>"/);
    expect(check({ ...correct, 'content-type': 'text/plain;charset=UTF-8' }, 'PATCH')).toMatchObject({
      status: 415,
      message: expect.stringContaining('(got "text/plain;charset=UTF-8")'),
    });
    expect(check({ authorization: correct.authorization })?.message).toContain('(got no Content-Type)');
  });

  it('refuses every state change when the server was given no token', () => {
    expect(checkControlRequest(request('POST', correct), { token: null })).toMatchObject({
      status: 401,
      message: expect.stringContaining('started without a control token'),
    });
  });

  it('counts everything but GET, HEAD and OPTIONS as a state change', () => {
    expect(['GET', 'head', 'OPTIONS'].map(isStateChanging)).toEqual([false, false, false]);
    expect(['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND'].map(isStateChanging)).toEqual([true, true, true, true, true]);
  });
});
