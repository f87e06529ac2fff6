/**
 * The api's shapes, as the storefront reads them: the shared API contract (libs/contracts/src/api),
 * the same types the api's handlers return, so neither side can change one alone. Type-only:
 * nothing of it reaches the browser bundle.
 */
import type {
  OrderLineView,
  OrderPage as ContractOrderPage,
  OrderView,
  ProductPage as ContractProductPage,
  ProductView,
  Role as ContractRole,
  UserView,
} from '@tenk/contracts/api';

export type Role = ContractRole;
export type User = UserView;
export type Product = ProductView;
export type ProductPage = ContractProductPage;
export type OrderLine = OrderLineView;
export type Order = OrderView;
export type OrderPage = ContractOrderPage;
