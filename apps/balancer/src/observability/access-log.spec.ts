import { ACCESS_LOG_REFUSAL_SAMPLE, AccessLog, quoted, type AccessRecord } from './access-log';
import { LogSink } from './log-sink';
import { Logger } from './logger';

function capture(): { sink: LogSink; lines: string[] } {
  const sink = new LogSink({ kind: 'off' });
  const lines: string[] = [];
  // The sink's writer is private: swap the instance's method to capture what would be written.
  (sink as unknown as { immediate(line: string): void }).immediate = (line) => lines.push(line);
  (sink as unknown as { buffered(line: string): void }).buffered = (line) => lines.push(line);
  return { sink, lines };
}

const record: AccessRecord = {
  requestId: 'abc123',
  clientAddress: '203.0.113.9',
  method: 'GET',
  target: '/products?q="shoes"',
  httpVersion: '1.1',
  status: 200,
  bytesSent: 512,
  durationMs: 3.25,
  userAgent: 'curl/8 "quoted"',
  referer: '',
  upstreamName: 'api',
  peerAddress: '127.0.0.1:3001',
  upstreamStatus: 200,
  upstreamMs: 2.5,
  tries: 1,
  logSampleRate: 1,
};

describe('access log lines', () => {
  it('writes one JSON object per request, escaping what clients control', () => {
    const { sink, lines } = capture();
    new AccessLog(sink, { target: { kind: 'stdout' }, format: 'json', bufferBytes: 0, flushMs: 1000 }).write(record);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({
      level: 'info',
      service: 'balancer',
      msg: 'access',
      request_id: 'abc123',
      uri: '/products?q="shoes"',
      status: 200,
      upstream_addr: '127.0.0.1:3001',
      upstream_tries: 1,
      user_agent: 'curl/8 "quoted"',
    });
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(lines[0].endsWith('\n')).toBe(true);
  });

  it('leaves out upstream fields for answers tenk wrote itself, and writes nginx combined on request', () => {
    const { sink, lines } = capture();
    new AccessLog(sink, { target: { kind: 'stdout' }, format: 'json', bufferBytes: 0, flushMs: 1000 }).write({
      ...record,
      upstreamName: '',
      status: 429,
    });
    expect(JSON.parse(lines[0])).not.toHaveProperty('upstream');
    new AccessLog(sink, { target: { kind: 'stdout' }, format: 'combined', bufferBytes: 0, flushMs: 1000 }).write(record);
    expect(lines[1]).toMatch(
      /^203\.0\.113\.9 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/products\?q="shoes" HTTP\/1\.1" 200 512 "-" "curl\/8 \\"quoted\\""\n$/,
    );
  });
});

describe('access log sampling', () => {
  it('writes one in N of the answers sampled at N (admission refusals), saying so, and every other answer', () => {
    const { sink, lines } = capture();
    const log = new AccessLog(sink, { target: { kind: 'stdout' }, format: 'json', bufferBytes: 0, flushMs: 1000 });
    const refusal = { ...record, status: 503, logSampleRate: ACCESS_LOG_REFUSAL_SAMPLE };
    for (let i = 0; i < 3 * ACCESS_LOG_REFUSAL_SAMPLE; i++) log.write(refusal);
    log.write(record);
    expect(lines).toHaveLength(4);
    expect(lines.slice(0, 3).map((line) => JSON.parse(line).sample_rate)).toEqual([
      ACCESS_LOG_REFUSAL_SAMPLE,
      ACCESS_LOG_REFUSAL_SAMPLE,
      ACCESS_LOG_REFUSAL_SAMPLE,
    ]);
    expect(JSON.parse(lines[3])).not.toHaveProperty('sample_rate');
  });
});

describe('quoted', () => {
  it('gives what JSON.stringify gives, escaping included', () => {
    const samples = [
      '',
      'plain /products?limit=20',
      'say "hi"',
      'back\\slash',
      'tab\tnew\nline\u0000',
      '\u001f\u007f',
      'caf\u00e9 \u2028',
      'pair \ud83d\ude00',
      'lone \ud83d',
      'lone \ude00 end',
    ];
    for (const sample of samples) expect(quoted(sample)).toBe(JSON.stringify(sample));
  });
});

describe('event log', () => {
  it('writes JSON lines with level, service and fields, and respects the level', () => {
    const { sink, lines } = capture();
    const logger = new Logger(sink, 'warn');
    logger.info('not shown');
    logger.warn('peer taken out', { peer: '127.0.0.1:3001' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', service: 'balancer', msg: 'peer taken out', peer: '127.0.0.1:3001' });
  });
});
