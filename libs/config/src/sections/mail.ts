import { EnvReader } from '../env-reader';

export interface MailConfig {
  smtp: { host: string; port: number; secure: boolean; user?: string; password?: string };
  /** The local SMTP sink's HTTP API (GET /messages), used by tests and users. */
  sinkHttpPort: number;
  from: string;
}

export function readMail(env: EnvReader): MailConfig {
  const user = env.string('TENK_SMTP_USER', '');
  return {
    smtp: {
      host: env.string('TENK_SMTP_HOST', '127.0.0.1'),
      port: env.servicePort('smtp'),
      secure: env.bool('TENK_SMTP_SECURE', false),
      user: user || undefined,
      password: user ? env.string('TENK_SMTP_PASSWORD', '') : undefined,
    },
    sinkHttpPort: env.servicePort('smtpHttp'),
    from: env.string('TENK_MAIL_FROM', 'tenk shop <shop@tenk.local>'),
  };
}
