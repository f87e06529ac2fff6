import { IncomingMessage, ServerResponse } from 'node:http';

/** Something that wants to know when the client's response closes (finished or aborted). */
export interface ResponseOwner {
  onResponseClose(): void;
}

/**
 * Node's ServerResponse with one more field, declared here so every response has the same
 * shape: the object handling it (the proxy exchange, a static file). The 'close' listener is
 * one shared function, not a closure per request.
 */
export class TenkResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  owner: ResponseOwner | null = null;
  /** error_page: the status this response is sent with, whatever its handler answers (0: its own). */
  statusOverride = 0;

  /** Calls owner.onResponseClose() when the response closes. */
  watchClose(owner: ResponseOwner): void {
    this.owner = owner;
    this.on('close', onClose);
  }
}

function onClose(this: TenkResponse): void {
  const owner = this.owner;
  this.owner = null;
  if (owner !== null) owner.onResponseClose();
}
