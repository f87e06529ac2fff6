import pino from 'pino';
import { Writable } from 'node:stream';
import { QueryFailedError } from 'typeorm';
import { loggerOptions } from '@tenk/observability';

/** The account fields that must never reach a log line, in the shapes the api logs them. */
describe('log redaction of account secrets', () => {
  const PASSWORD = 'correct horse battery staple';
  const HASH = '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';

  function logged(write: (logger: pino.Logger) => void): string {
    let output = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    const logger = pino(loggerOptions({ service: 'test', level: 'info' }), sink);
    write(logger);
    logger.flush();
    return output;
  }

  it('redacts a password at the top level and one level down (a logged body)', () => {
    const output = logged((logger) => {
      logger.info({ password: PASSWORD }, 'top level');
      logger.info({ body: { email: 'ada@example.com', password: PASSWORD } }, 'a login body');
    });
    expect(output).not.toContain(PASSWORD);
    expect(output).toContain('ada@example.com');
    expect(output.match(/\[redacted\]/g)).toHaveLength(2);
  });

  it('redacts a password hash on a logged user', () => {
    const output = logged((logger) => logger.info({ user: { id: 'u1', passwordHash: HASH } }, 'a user'));
    expect(output).not.toContain(HASH);
    expect(output).toContain('u1');
  });

  it('logs a failed query with its SQL but without its bind values (a signup insert holds the hash)', () => {
    const error = new QueryFailedError(
      'INSERT INTO "users"("email", "password_hash") VALUES ($1, $2)',
      ['ada@example.com', HASH],
      new Error('invalid byte sequence'),
    );
    const output = logged((logger) => logger.error({ err: error }, 'unexpected error'));
    expect(output).toContain('INSERT INTO');
    expect(output).toContain('invalid byte sequence');
    expect(output).not.toContain(HASH);
  });

  it('redacts cookies and authorization headers on a logged request', () => {
    const output = logged((logger) =>
      logger.info({ req: { headers: { cookie: 'tenk_session=secret-token', authorization: 'Bearer secret-token' } } }, 'request'),
    );
    expect(output).not.toContain('secret-token');
  });
});
