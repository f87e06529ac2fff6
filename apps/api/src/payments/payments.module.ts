import { Module } from '@nestjs/common';
import { PaymentProviderClient } from './payment-provider.client';
import { PaymentsService } from './payments.service';

/** The payment provider client for the order flow: import it and inject PaymentsService. */
@Module({
  providers: [PaymentProviderClient, PaymentsService],
  exports: [PaymentsService],
})
export class PaymentsModule {}
