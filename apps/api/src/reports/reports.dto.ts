import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, ValidateBy } from 'class-validator';
import { REPORT_TYPES, type ReportType } from '@tenk/contracts';

/** A real calendar day written YYYY-MM-DD (2026-02-30 is refused). */
const IsCalendarDay = () =>
  ValidateBy({
    name: 'isCalendarDay',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isCalendarDay(value),
      defaultMessage: (args) => `${args?.property ?? 'value'} must be a day written YYYY-MM-DD, such as 2026-11-28`,
    },
  });

export function isCalendarDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

export class ReportRequestBody {
  @ApiProperty({
    enum: REPORT_TYPES,
    description: 'my-orders: your own orders per day. sales-by-day, sales-by-product: every customer (admin only).',
  })
  @IsIn(REPORT_TYPES, { message: `type must be one of: ${REPORT_TYPES.join(', ')}` })
  type!: ReportType;

  @ApiProperty({ example: '2026-11-01', description: 'First day covered (UTC)' })
  @IsString()
  @IsCalendarDay()
  from!: string;

  @ApiProperty({ example: '2026-11-28', description: 'Last day covered (UTC), included' })
  @IsString()
  @IsCalendarDay()
  to!: string;
}
