export { PaymentsModule } from './payments.module';
export { PaymentsService } from './payments.service';
export {
  PaymentUnavailableError,
  isPaymentUnavailableError,
  PaymentRequestError,
  isPaymentRequestError,
  PaymentProviderError,
} from './payment-errors';
export type { AuthorizePaymentRequest, PaymentAuthorization, PaymentSettlement } from './payment.types';
