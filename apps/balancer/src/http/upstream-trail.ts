/**
 * The tries before the current one, for $upstream_addr, $upstream_status and the
 * $upstream_*_time variables: nginx lists one value per try, ", " between tries in one upstream
 * group and " : " between groups (an error_page that sends the request to another upstream).
 * Made only when a request is tried a second time or goes to a second group: a request with
 * one try has none, and its variables read the record's fields directly.
 */
export class UpstreamTrail {
  readonly lists = { addr: '', status: '', response: '', connect: '', header: '' };
  /** What joins the current try to the earlier ones: ", " (same group) or " : " (a new group). */
  separator = ', ';

  /** Appends one finished try (times in ms, -1 when unknown), joined by `separator`. */
  push(addr: string, status: number, responseMs: number, connectMs: number, headerMs: number): void {
    const lists = this.lists;
    const joiner = lists.addr === '' ? '' : this.separator;
    lists.addr += joiner + addr;
    lists.status += joiner + (status === 0 ? '502' : String(status));
    lists.response += joiner + time(responseMs);
    lists.connect += joiner + time(connectMs);
    lists.header += joiner + time(headerMs);
    this.separator = ', ';
  }
}

function time(ms: number): string {
  return ms < 0 ? '-' : (ms / 1000).toFixed(3);
}
