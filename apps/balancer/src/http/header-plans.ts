import type { AddHeaderSetting, HeaderSetting } from '../config/schema';
import { Template, type VariableContext } from './variables';

/**
 * Hop-by-hop headers (RFC 9110 7.6.1) and the ones tenk manages itself: never copied from
 * the client to the upstream. `expect` is dropped because Node has already answered
 * 100-continue to the client.
 */
const REQUEST_DROP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'http2-settings',
];

/** What tenk adds to every proxied request unless proxy_set_header says otherwise. */
const DEFAULT_REQUEST_HEADERS: HeaderSetting[] = [
  { name: 'Host', key: 'host', value: '$proxy_host' },
  { name: 'X-Forwarded-For', key: 'x-forwarded-for', value: '$proxy_add_x_forwarded_for' },
  { name: 'X-Forwarded-Proto', key: 'x-forwarded-proto', value: '$scheme' },
  { name: 'X-Request-Id', key: 'x-request-id', value: '$request_id' },
];

/** Never copied from the upstream's response: hop-by-hop, and framing Node redoes itself. */
const RESPONSE_DROP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'trailer'];

interface SetHeader {
  name: string;
  template: Template;
}

/**
 * The request headers a location sends upstream, compiled once: which client headers to
 * drop, and which to set (tenk's defaults, overridden by proxy_set_header by name; an
 * empty value removes the header, as in nginx).
 *
 * Upgrades follow nginx's WebSocket recipe: a location lets them through when it sets both
 * `proxy_set_header Upgrade $http_upgrade` (any non-empty value) and `proxy_set_header
 * Connection` to `upgrade` or `$connection_upgrade`; `upgrade` is then that Upgrade value.
 * These two are never sent as ordinary headers: an upgrade request carries them (ProxyExchange
 * hands the value to undici's `upgrade` option, which writes `Connection: upgrade`), and any
 * other request goes without them, so the upstream is only ever offered an upgrade where the
 * configuration allows one.
 */
export class RequestHeaderPlan {
  readonly #drop: Set<string>;
  readonly #set: SetHeader[];
  /** The Upgrade value's template when this location lets upgrades through, else null. */
  readonly upgrade: Template | null;

  constructor(settings: readonly HeaderSetting[]) {
    const byKey = new Map<string, HeaderSetting>();
    for (const header of DEFAULT_REQUEST_HEADERS) byKey.set(header.key, header);
    for (const header of settings) byKey.set(header.key, header);
    const upgrade = byKey.get('upgrade');
    const connection = byKey.get('connection');
    const connectionUpgrades = connection !== undefined && isUpgradeConnection(connection.value);
    this.upgrade = upgrade !== undefined && upgrade.value !== '' && connectionUpgrades ? new Template(upgrade.value) : null;
    byKey.delete('upgrade');
    if (connectionUpgrades) byKey.delete('connection');
    this.#drop = new Set([...REQUEST_DROP, ...byKey.keys()]);
    this.#set = [...byKey.values()]
      .filter((header) => header.value !== '')
      .map((header) => ({ name: header.name, template: new Template(header.value) }));
  }

  /** The upstream request's headers as a flat [name, value, ...] list (undici's format). */
  build(rawHeaders: readonly string[], context: VariableContext): string[] {
    const out: string[] = [];
    const drop = this.#drop;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i];
      if (drop.has(name.toLowerCase())) continue;
      out.push(name, rawHeaders[i + 1]);
    }
    const set = this.#set;
    for (let i = 0; i < set.length; i++) {
      const value = set[i].template.evaluate(context);
      if (value !== '') out.push(set[i].name, value);
    }
    return out;
  }
}

/** `proxy_set_header Connection` as nginx's WebSocket recipe writes it: "upgrade", or the $connection_upgrade map. */
function isUpgradeConnection(value: string): boolean {
  const lower = value.trim().toLowerCase();
  return lower === 'upgrade' || lower === '$connection_upgrade' || lower === '${connection_upgrade}';
}

/** Statuses add_header (without `always`) and expires apply to (nginx's list). */
export const ADD_HEADER_STATUSES = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);

interface AddHeader {
  name: string;
  template: Template;
  always: boolean;
}

/**
 * The response side: which upstream headers to drop (hop-by-hop, proxy_hide_header) and
 * which to add (add_header), compiled once per location.
 */
export class ResponseHeaderPlan {
  readonly #drop: Set<string>;
  readonly #add: AddHeader[];
  readonly hasAdditions: boolean;

  constructor(hide: readonly string[], add: readonly AddHeaderSetting[]) {
    this.#drop = new Set([...RESPONSE_DROP, ...hide]);
    this.#add = add.map((header) => ({ name: header.name, template: new Template(header.value), always: header.always }));
    this.hasAdditions = this.#add.length > 0;
  }

  /**
   * Upstream raw headers (undici gives Buffers) as Node's flat [name, value, ...] list. The
   * Content-Length, if any, is noted on `into` (the proxy ends the response with the last chunk).
   */
  fromUpstream(
    rawHeaders: readonly Buffer[] | readonly string[],
    status: number,
    context: VariableContext,
    into: { upstreamContentLength: number },
  ): string[] {
    const out: string[] = [];
    const drop = this.#drop;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = text(rawHeaders[i]);
      const key = name.toLowerCase();
      if (drop.has(key)) continue;
      const value = text(rawHeaders[i + 1]);
      if (key === 'content-length') into.upstreamContentLength = Number(value);
      out.push(name, value);
    }
    if (this.hasAdditions) this.appendTo(out, status, context);
    return out;
  }

  /**
   * The head of a `101 Switching Protocols` for the client: the upstream's headers, with its
   * Upgrade and Connection (they make the switch), without proxy_hide_header's and framing
   * ones, plus add_header ... always.
   */
  switchingHead(rawHeaders: readonly Buffer[] | readonly string[] | null, context: VariableContext): string {
    let head = 'HTTP/1.1 101 Switching Protocols\r\n';
    const drop = this.#drop;
    const raw = rawHeaders ?? [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = text(raw[i]);
      const key = name.toLowerCase();
      if (key !== 'connection' && key !== 'upgrade' && drop.has(key)) continue;
      if (key === 'content-length') continue;
      head += `${name}: ${text(raw[i + 1])}\r\n`;
    }
    const extra: string[] = [];
    this.appendTo(extra, 101, context);
    for (let i = 0; i < extra.length; i += 2) head += `${extra[i]}: ${extra[i + 1]}\r\n`;
    return `${head}\r\n`;
  }

  /** Appends add_header values that apply to this status. */
  appendTo(out: string[], status: number, context: VariableContext): void {
    const add = this.#add;
    const listed = ADD_HEADER_STATUSES.has(status);
    for (let i = 0; i < add.length; i++) {
      if (!listed && !add[i].always) continue;
      const value = add[i].template.evaluate(context);
      if (value !== '') out.push(add[i].name, value);
    }
  }
}

function text(value: Buffer | string): string {
  return typeof value === 'string' ? value : latin1(value);
}

/** Buffer#latin1Slice (not in @types/node): the cheapest way to turn a header's bytes into a string. */
function latin1(buffer: Buffer): string {
  return (buffer as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(0, buffer.length);
}
