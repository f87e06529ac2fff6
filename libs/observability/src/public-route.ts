import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'tenk:public-route';

/**
 * Marks a controller or route as open to anonymous callers in apps that require a session
 * by default (the api). Health and metrics carry it; app routes use the app's own `@Public()`.
 */
export const PublicRoute = (): ClassDecorator & MethodDecorator => SetMetadata(PUBLIC_ROUTE, true);
