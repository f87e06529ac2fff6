import { BadRequestException, Body, Controller, Get, Headers, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import type { SessionUser } from '../auth/session-user';
import { AllOrdersQuery, OrderPage, OrderPageQuery, OrderView, PlaceOrderBody } from './orders.dto';
import { OrdersQueryService } from './orders-query.service';
import { PlaceOrderService } from './place-order.service';

/** Printable ASCII, as the Idempotency-Key header draft allows; a UUID is a good choice. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{8,255}$/;

@ApiTags('orders')
@Controller()
export class OrdersController {
  constructor(
    private readonly placing: PlaceOrderService,
    private readonly reading: OrdersQueryService,
  ) {}

  @Post('orders')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Place an order (exactly once per Idempotency-Key)' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: 'A new random value (e.g. a UUID) per order; send the same one when retrying the same order',
  })
  @ApiResponse({
    status: 201,
    type: OrderView,
    description: 'placed; a repeat of the same request answers the same order with Idempotent-Replayed: true',
  })
  @ApiResponse({ status: 400, description: 'bad lines, unknown product, or no Idempotency-Key; nothing was stored' })
  @ApiResponse({ status: 402, description: 'the payment was declined; nothing was stored' })
  @ApiResponse({
    status: 409,
    description: 'not enough stock (nothing stored), or the same key is still being processed (see Retry-After)',
  })
  @ApiResponse({ status: 422, description: 'the Idempotency-Key was used before with a different order' })
  @ApiResponse({
    status: 503,
    description: 'payments (or the shard) are unavailable; nothing was charged; retry with the same key after Retry-After',
  })
  async place(
    @CurrentUser() user: SessionUser,
    @Headers('idempotency-key') key: string | undefined,
    @Body() body: PlaceOrderBody,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<OrderView> {
    if (!key || !IDEMPOTENCY_KEY.test(key)) {
      throw new BadRequestException(
        'send an Idempotency-Key header: 8 to 255 printable characters (a UUID is a good choice), the same one when retrying this order',
      );
    }
    const placed = await this.placing.place(user, key, body.lines);
    if (placed.replayed) res.header('Idempotent-Replayed', 'true');
    res.header('Location', `/orders/${placed.order.id}`);
    return placed.order;
  }

  @Get('orders/:id')
  @ApiOperation({ summary: 'One order (your own; any order for an admin)' })
  @ApiResponse({ status: 200, type: OrderView })
  @ApiResponse({ status: 404, description: 'no such order, or not yours' })
  get(@CurrentUser() user: SessionUser, @Param('id') id: string): Promise<OrderView> {
    return this.reading.get(user, id);
  }

  @Get('customers/:id/orders')
  @ApiOperation({ summary: "A customer's orders, newest first (keyset pages: pass `next` as `after`)" })
  @ApiResponse({ status: 200, type: OrderPage })
  listForCustomer(@CurrentUser() user: SessionUser, @Param('id') id: string, @Query() query: OrderPageQuery): Promise<OrderPage> {
    return this.reading.listForCustomer(user, id, query.limit, query.after);
  }

  @Roles('admin')
  @Get('orders')
  @ApiOperation({ summary: 'Every order since a time, oldest first, from all shards (admin)' })
  @ApiResponse({ status: 200, type: OrderPage })
  @ApiResponse({ status: 503, description: 'a shard did not answer; the page would be incomplete' })
  listAll(@Query() query: AllOrdersQuery): Promise<OrderPage> {
    return this.reading.listAll(new Date(query.since).toISOString(), query.limit, query.after);
  }
}
