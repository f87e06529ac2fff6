import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { isCalendarDay, ReportRequestBody } from './reports.dto';

describe('report request validation', () => {
  it('knows real calendar days', () => {
    expect(isCalendarDay('2026-11-28')).toBe(true);
    expect(isCalendarDay('2024-02-29')).toBe(true);
    expect(isCalendarDay('2026-02-29')).toBe(false);
    expect(isCalendarDay('2026-13-01')).toBe(false);
    expect(isCalendarDay('28.11.2026')).toBe(false);
  });

  it('names each problem', async () => {
    const errors = await validate(plainToInstance(ReportRequestBody, { type: 'everything', from: '2026-02-30', to: 20261128 }));
    const messages = errors.flatMap((error) => Object.values(error.constraints ?? {}));
    expect(messages).toEqual(
      expect.arrayContaining([
        'type must be one of: my-orders, sales-by-day, sales-by-product',
        'from must be a day written YYYY-MM-DD, such as 2026-11-28',
        'to must be a day written YYYY-MM-DD, such as 2026-11-28',
      ]),
    );
  });

  it('accepts a valid request', async () => {
    expect(await validate(plainToInstance(ReportRequestBody, { type: 'my-orders', from: '2026-11-01', to: '2026-11-28' }))).toEqual([]);
  });
});
