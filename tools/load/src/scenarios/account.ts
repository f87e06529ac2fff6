import type { EndpointStats } from '../engine/stats';
import type { RequestPlan, ResponseView } from '../engine/virtual-user';
import type { ScenarioContext } from './scenario';

/** Every load-test account has this password (10 to 72 characters, as sign-up requires). */
export const LOAD_PASSWORD = 'tenk-load-test-password';

interface AccountEndpoints {
  signUp: EndpointStats;
  signIn: EndpointStats;
  signOut: EndpointStats;
}

/**
 * A virtual user's shop account: created on its first visit (POST /users signs up and sets
 * the session cookie), signed into again on later visits (POST /auth/login), left with POST
 * /auth/logout. The cookie itself lives in the user's cookie jar, as in a browser.
 */
export class Account {
  readonly email: string;
  readonly #endpoints: AccountEndpoints;
  #bodySignUp: string;
  #bodySignIn: string;
  /** The account exists in the shop. */
  exists = false;

  constructor(kind: string, id: number, context: ScenarioContext) {
    this.email = `load-${context.runId}-${kind}-${id}@example.com`;
    this.#endpoints = {
      signUp: context.stats.endpoint('POST /users'),
      signIn: context.stats.endpoint('POST /auth/login'),
      signOut: context.stats.endpoint('POST /auth/logout'),
    };
    this.#bodySignUp = JSON.stringify({ email: this.email, name: `Load ${kind} ${id}`, password: LOAD_PASSWORD });
    this.#bodySignIn = JSON.stringify({ email: this.email, password: LOAD_PASSWORD });
  }

  /** Sign up on the first visit, sign in on later ones. */
  planEntry(request: RequestPlan): void {
    request.method = 'POST';
    request.contentType = 'application/json';
    if (this.exists) {
      request.endpoint = this.#endpoints.signIn;
      request.path = '/auth/login';
      request.body = this.#bodySignIn;
    } else {
      request.endpoint = this.#endpoints.signUp;
      request.path = '/users';
      request.body = this.#bodySignUp;
      // The account exists already (an earlier sign-up whose answer was lost): sign in next.
      request.acceptedStatus = 409;
    }
  }

  /** True when the user is now signed in. A 409 on sign-up means the account exists: sign in next. */
  afterEntry(response: ResponseView): boolean {
    if (response.ok) {
      this.exists = true;
      return true;
    }
    if (response.status === 409) this.exists = true;
    if (response.status === 401 && this.exists) this.exists = false;
    return false;
  }

  planExit(request: RequestPlan): void {
    request.endpoint = this.#endpoints.signOut;
    request.method = 'POST';
    request.path = '/auth/logout';
  }
}
