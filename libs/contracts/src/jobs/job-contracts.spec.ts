import { isContractError } from '../validation';
import { BUILD_REPORT_V1, EXPIRE_REPORTS_V1 } from './report-jobs';
import { ACCOUNT_EXISTS_MAIL_V1, MAIL_KEYS, ORDER_CONFIRMATION_MAIL_V1, WELCOME_MAIL_V1 } from './mail-jobs';
import { VIDEO_TRANSCODE_V1 } from './video-jobs';

const event = {
  type: 'OrderPlaced',
  version: 1,
  eventId: 'e1',
  occurredAt: '2026-11-28T00:00:00.000Z',
  orderId: 'o1',
  customerId: 'c1',
  customerEmail: 'a@b.c',
  currency: 'EUR',
  totalCents: 1200,
  lines: [{ productId: '1', sku: 'SKU-1', name: 'Mug', quantity: 2, unitPriceCents: 600 }],
};

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isContractError(error)) return error.message;
    throw error;
  }
  throw new Error('expected a ContractError');
}

describe('job contracts', () => {
  it('name jobs <queue>.<what>.v<version>, on their queue', () => {
    expect(
      [VIDEO_TRANSCODE_V1, WELCOME_MAIL_V1, ACCOUNT_EXISTS_MAIL_V1, ORDER_CONFIRMATION_MAIL_V1, BUILD_REPORT_V1, EXPIRE_REPORTS_V1].map(
        (c) => `${c.queue} ${c.name}`,
      ),
    ).toEqual([
      'video video.transcode.v1',
      'mail mail.welcome.v1',
      'mail mail.account-exists.v1',
      'mail mail.order-confirmation.v1',
      'report report.build.v1',
      'report report.expire.v1',
    ]);
  });

  it('parse valid payloads and drop unknown fields', () => {
    expect(VIDEO_TRANSCODE_V1.parse({ videoId: 'v1', extra: 1 })).toEqual({ videoId: 'v1' });
    expect(WELCOME_MAIL_V1.parse({ userId: 'u', email: 'a@b.c', name: 'Ada' })).toEqual({ userId: 'u', email: 'a@b.c', name: 'Ada' });
    expect(
      ACCOUNT_EXISTS_MAIL_V1.parse({ userId: 'u', email: 'a@b.c', name: 'Ada', attemptedAt: '2026-11-28T10:15:00.000Z', ip: 'x' }),
    ).toEqual({ userId: 'u', email: 'a@b.c', name: 'Ada', attemptedAt: '2026-11-28T10:15:00.000Z' });
    expect(ORDER_CONFIRMATION_MAIL_V1.parse({ event }).event.orderId).toBe('o1');
    expect(BUILD_REPORT_V1.parse({ reportId: 'r' })).toEqual({ reportId: 'r' });
  });

  it('name the field that breaks the contract', () => {
    expect(messageOf(() => VIDEO_TRANSCODE_V1.parse({}))).toBe('VideoTranscodeJobV1.videoId: expected a non-empty string');
    expect(messageOf(() => WELCOME_MAIL_V1.parse({ userId: 'u', email: 'a@b.c' }))).toBe(
      'WelcomeMailJobV1.name: expected a non-empty string',
    );
    expect(messageOf(() => ACCOUNT_EXISTS_MAIL_V1.parse({ userId: 'u', email: 'a@b.c', name: 'Ada' }))).toBe(
      'AccountExistsMailJobV1.attemptedAt: expected an ISO 8601 date-time such as 2026-11-28T12:00:00.000Z',
    );
    expect(messageOf(() => ORDER_CONFIRMATION_MAIL_V1.parse({ event: { ...event, totalCents: -1 } }))).toBe(
      'OrderPlaced.totalCents: expected a whole number >= 0',
    );
    expect(messageOf(() => BUILD_REPORT_V1.parse('r1'))).toBe('BuildReportJobV1: expected an object');
  });

  it('key mail by what caused it', () => {
    expect(MAIL_KEYS.welcome('u1')).toBe('welcome:u1');
    expect(MAIL_KEYS.orderConfirmation('e1')).toBe('order-confirmation:e1');
    // One account-exists mail a clock hour, however many sign-ups are tried.
    expect(MAIL_KEYS.accountExists('u1', new Date('2026-11-28T10:15:00Z'))).toBe('account-exists:u1:2026-11-28T10');
    expect(MAIL_KEYS.accountExists('u1', new Date('2026-11-28T10:59:59Z'))).toBe('account-exists:u1:2026-11-28T10');
  });
});
