import { LogSink } from './log-sink';

describe('LogSink', () => {
  let backlogBytes = 0;
  beforeEach(() => {
    // The backlog Node keeps for stdout, as the sink sees it (an own property shadows the getter).
    Object.defineProperty(process.stdout, 'writableLength', { get: () => backlogBytes, configurable: true });
  });
  afterEach(() => {
    delete (process.stdout as { writableLength?: number }).writableLength;
    jest.restoreAllMocks();
  });

  it('drops access-log batches (and counts them) while its reader is more than 8 MiB behind, and says so once', () => {
    const written: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((text: string | Uint8Array) => {
      written.push(String(text));
      return true;
    });
    backlogBytes = 0;
    const sink = new LogSink({ kind: 'stdout' });
    sink.configureBuffer(64, 1000);
    sink.buffered(`${'a'.repeat(70)}\n`);
    expect(written).toHaveLength(1);

    backlogBytes = 9 * 1024 * 1024;
    sink.buffered(`${'b'.repeat(70)}\n`);
    sink.buffered(`${'c'.repeat(70)}\n`);
    expect(sink.droppedBytes).toBe(142);
    // One warning line, not the access lines.
    expect(written).toHaveLength(2);
    expect(JSON.parse(written[1])).toMatchObject({
      level: 'warn',
      msg: 'the access log cannot keep up: lines dropped while its reader catches up',
      dropped_bytes: 71,
    });
    // Events are always written.
    sink.immediate('{"msg":"event"}\n');
    expect(written[2]).toBe('{"msg":"event"}\n');

    backlogBytes = 0;
    sink.buffered(`${'d'.repeat(70)}\n`);
    expect(written[3]).toBe(`${'d'.repeat(70)}\n`);
  });
});
