/**
 * The local SMTP sink: accepts every mail on TENK_SMTP_PORT (2525), keeps each as a file
 * under .tenk/data/smtp-sink, and serves them as JSON on TENK_SMTP_HTTP_PORT (58025).
 * tools/infra runs it as a daemon; nothing is ever delivered anywhere.
 */
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '@tenk/config';
import { createLogger } from '@tenk/observability';
import { createHttpApi } from './http-api';
import { MailStore } from './mail-store';

const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

const config = loadConfig();
const logger = createLogger({ service: 'smtp-sink', level: config.runtime.logLevel });
const store = new MailStore(path.join(config.paths.data, 'smtp-sink'));

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  size: MAX_MESSAGE_BYTES,
  banner: 'tenk SMTP sink: mail is kept locally, never delivered',
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
        callback(Object.assign(new Error(`message exceeds ${MAX_MESSAGE_BYTES} bytes`), { responseCode: 552 }));
        return;
      }
      const envelope = {
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
      };
      store
        .save(Buffer.concat(chunks), envelope)
        .then((message) => {
          logger.info({ id: message.id, to: message.to, subject: message.subject }, 'mail received');
          callback(null, `queued as ${message.id}`);
        })
        .catch((error: unknown) => {
          logger.error({ err: error }, 'could not store mail');
          callback(error instanceof Error ? error : new Error(String(error)));
        });
    });
  },
});
smtp.on('error', (error) => logger.error({ err: error }, 'smtp error'));

const http = createHttpApi(store);
smtp.listen(config.mail.smtp.port, config.services.bindHost, () => logger.info({ port: config.mail.smtp.port }, 'SMTP listening'));
http.listen(config.mail.sinkHttpPort, config.services.bindHost, () =>
  logger.info({ port: config.mail.sinkHttpPort }, 'HTTP API listening'),
);

const stop = () => {
  smtp.close(() => http.close(() => process.exit(0)));
  setTimeout(() => process.exit(0), 3_000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
