/** The api's shapes, as the storefront reads them (see the API docs on an api instance's own port, e.g. 127.0.0.1:3001/docs). */

export type Role = 'customer' | 'admin';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  priceCents: number;
  currency: string;
  stock: number;
  image: string | null;
}

export interface ProductPage {
  items: Product[];
  page: number;
  limit: number;
  total: number;
}

export interface OrderLine {
  productId: string;
  quantity: number;
  name?: string;
  unitPriceCents?: number;
  lineTotalCents?: number;
}

export interface Order {
  id: string;
  status: string;
  totalCents: number;
  currency: string;
  lines: OrderLine[];
  createdAt: string;
}

export interface OrderPage {
  items: Order[];
  /** Cursor for the next page, if there is one. */
  next: string | null;
}
