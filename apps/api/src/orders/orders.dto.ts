import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import type * as api from '@tenk/contracts/api';
import { LimitQuery } from '../common/list-query';

/** Business limits of one order (a bigger basket is a support call, not a web request). */
export const MAX_ORDER_LINES = 50;
export const MAX_LINE_QUANTITY = 100;

export class OrderLineInput {
  @ApiProperty({ example: '12', description: 'A product id from GET /products' })
  @IsString()
  @Matches(/^[1-9]\d{0,17}$/, { message: 'productId must be a product id: digits, e.g. "12"' })
  productId!: string;

  @ApiProperty({ example: 2, minimum: 1, maximum: MAX_LINE_QUANTITY })
  @IsInt()
  @Min(1, { message: 'quantity must be at least 1' })
  @Max(MAX_LINE_QUANTITY, { message: `quantity must be at most ${MAX_LINE_QUANTITY} per line` })
  quantity!: number;
}

export class PlaceOrderBody {
  @ApiProperty({ type: [OrderLineInput], minItems: 1, maxItems: MAX_ORDER_LINES })
  @IsArray()
  @ArrayMinSize(1, { message: 'lines must hold at least one line' })
  @ArrayMaxSize(MAX_ORDER_LINES, { message: `an order has at most ${MAX_ORDER_LINES} lines` })
  @ValidateNested({ each: true })
  @Type(() => OrderLineInput)
  lines!: OrderLineInput[];
}

export class OrderPageQuery extends LimitQuery {
  @ApiPropertyOptional({ description: 'The `next` cursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  after?: string;
}

export class AllOrdersQuery extends OrderPageQuery {
  @ApiProperty({ description: 'Orders placed at or after this time (ISO 8601), oldest first', example: '2026-11-28T00:00:00Z' })
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 time, e.g. 2026-11-28T00:00:00Z' })
  since!: string;
}

export class OrderLineView implements api.OrderLineView {
  @ApiProperty() productId!: string;
  @ApiProperty() sku!: string;
  @ApiProperty() name!: string;
  @ApiProperty() quantity!: number;
  @ApiProperty() unitPriceCents!: number;
  @ApiProperty() lineTotalCents!: number;
}

/** Swagger's description of the shared API contract's order (it must implement it). */
export class OrderView implements api.OrderView {
  @ApiProperty({ example: 'ord_0a7_01JDQ4Z5W8M2N6P3R7T9V0X1YB' }) id!: string;
  @ApiProperty({ enum: ['placed', 'cancelled'] }) status!: 'placed' | 'cancelled';
  @ApiProperty() customerId!: string;
  @ApiProperty() totalCents!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ type: [OrderLineView] }) lines!: OrderLineView[];
  @ApiProperty({ example: '2026-11-28T10:00:00.123Z' }) createdAt!: string;
}

export class OrderPage implements api.OrderPage {
  @ApiProperty({ type: [OrderView] }) items!: OrderView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `after` for the next page; null on the last page' }) next!:
    string | null;
}
