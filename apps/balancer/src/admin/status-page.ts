import { CONTROL_TOKEN_PAGE_SCRIPT } from '@tenk/control-plane';
import { ALGORITHMS } from '../algorithms';
import type { BalancerStatus, PeerStatus, UpstreamStatus } from './status';

/**
 * The status page, in the spirit of HAProxy's stats page: one table per upstream, one row
 * per peer coloured by state, with traffic, errors and latency; the algorithm can be
 * switched from the page. Rendered on the server (no framework); a small script refreshes
 * it and sends the switch as PUT /upstreams/NAME/algorithm, with the run's control token the
 * page was opened with (`/?token=...`, kept in sessionStorage, as the map does).
 */
/** worker_processes N: one line per worker (the figures above are their sums). */
function renderWorkers(workers: NonNullable<BalancerStatus['workers']>): string {
  const list = workers.list
    .map(
      (worker) =>
        `<span>worker ${worker.index}: pid ${worker.pid}, ${fmt(worker.requests)} requests, ${fmt(worker.connections)} connections</span>`,
    )
    .join('');
  return `<div class="meta"><span>${workers.processes} workers (accept_mutex ${workers.acceptMutex ? 'on' : 'off'}, ${workers.restarts} restarted), figures summed</span>${list}</div>`;
}

export function renderStatusPage(status: BalancerStatus): string {
  const requests = status.requests;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tenk balancer - status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #222; background: #fafafa; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  h2 { font-size: 15px; margin: 22px 0 6px; }
  .meta { color: #555; margin-bottom: 12px; }
  .meta span { margin-right: 16px; }
  table { border-collapse: collapse; background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; white-space: nowrap; }
  th { background: #4e5d6c; color: #fff; font-weight: 600; }
  td.l, th.l { text-align: left; }
  tr.up td { background: #e3f4e1; }
  tr.up.backup td { background: #dfe9f7; }
  tr.failing td { background: #fbf1c7; }
  tr.busy td { background: #fde3c5; }
  tr.unhealthy td, tr.down td { background: #f7d4d4; }
  tr.total td { background: #eee; font-weight: 600; }
  .pill { display: inline-block; padding: 0 6px; border-radius: 8px; font-weight: 600; }
  .pill.up { background: #59a14f; color: #fff; } .pill.down, .pill.unhealthy { background: #e15759; color: #fff; }
  .pill.failing { background: #edc948; } .pill.busy { background: #f28e2b; color: #fff; }
  .switch { margin: 4px 0 8px; } .switch input { width: 220px; }
  .legend span { margin-right: 12px; } .err { color: #b00; }
  footer { margin-top: 24px; color: #777; }
</style>
</head>
<body>
<h1>tenk balancer</h1>
<div class="meta">
  <span>pid ${status.pid}</span><span>up ${formatDuration(status.uptimeSeconds)}</span><span>node ${esc(status.node)}</span>
  <span>config <code>${esc(status.config.file)}</code> loaded ${esc(status.config.loadedAt)} (${status.config.reloads} reload${status.config.reloads === 1 ? '' : 's'}, ${status.config.reloadFailures} failed)</span>
  ${status.draining ? '<span class="err"><b>DRAINING</b></span>' : ''}
</div>
${status.config.lastReloadError ? `<p class="err">last reload failed: ${esc(status.config.lastReloadError)}</p>` : ''}
<div class="meta">
  <span>listening ${status.listeners.map((l) => `<code>${esc(l.address)}</code>`).join(', ')}</span>
  <span>requests ${fmt(requests.total)} (${fmt(requests.active)} active)</span>
  <span>2xx ${fmt(requests.responses['2xx'])} / 3xx ${fmt(requests.responses['3xx'])} / 4xx ${fmt(requests.responses['4xx'])} / 5xx ${fmt(requests.responses['5xx'])}</span>
  <span>connections ${fmt(status.connections.open)} open, ${fmt(status.connections.websocketsActive)} websockets</span>
  <span>retries ${fmt(requests.retries)}</span><span>rate-limited ${fmt(requests.rateLimited)}</span><span>no live peer ${fmt(requests.noLivePeers)}</span><span>at capacity (503) ${fmt(requests.atCapacity)}</span>
  <span>rss ${(status.memory.rssBytes / 2 ** 20).toFixed(0)} MiB</span>
</div>
${status.workers ? renderWorkers(status.workers) : ''}
<div class="legend"><span class="pill up">up</span><span class="pill failing">failing (passive: max_fails)</span><span class="pill unhealthy">unhealthy (health check)</span><span class="pill busy">busy (max_conns)</span><span class="pill down">down (config)</span> backup rows are blue</div>
${status.upstreams.map(renderUpstream).join('\n')}
${status.zones.length > 0 ? renderZones(status) : ''}
<footer>JSON: <a href="/status">/status</a> &middot; Prometheus: <a href="/metrics">/metrics</a> &middot; refreshes every 2 s <label><input type="checkbox" id="auto" checked> auto</label></footer>
<script>
  ${CONTROL_TOKEN_PAGE_SCRIPT}
  setInterval(() => { if (document.getElementById('auto').checked && !document.activeElement.matches('input[type=text]')) location.reload(); }, 2000);
  for (const form of document.querySelectorAll('form.switch')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const out = form.querySelector('.result');
      const response = await fetch('/upstreams/' + encodeURIComponent(form.dataset.upstream) + '/algorithm', { method: 'PUT', headers: tenkControl.headers(), body: JSON.stringify({ algorithm: form.algorithm.value }) });
      out.textContent = response.ok ? 'switched' : (await response.text()) + (response.status === 401 ? ' Open this page as /?token=<token> to switch from here.' : '');
      out.className = 'result ' + (response.ok ? '' : 'err');
      if (response.ok) setTimeout(() => location.reload(), 300);
    });
  }
</script>
</body>
</html>
`;
}

function renderUpstream(upstream: UpstreamStatus): string {
  const total = upstream.peers.reduce(
    (sum, peer) => ({
      active: sum.active + peer.activeRequests,
      requests: sum.requests + peer.requests,
      failures: sum.failures + peer.failures,
      r2: sum.r2 + peer.responses['2xx'],
      r4: sum.r4 + peer.responses['4xx'],
      r5: sum.r5 + peer.responses['5xx'],
    }),
    { active: 0, requests: 0, failures: 0, r2: 0, r4: 0, r5: 0 },
  );
  const check = upstream.healthCheck;
  return `<h2>upstream ${esc(upstream.name)} <small>&middot; ${esc(upstream.algorithm)}${upstream.keepalive === null ? '' : ` &middot; keepalive ${upstream.keepalive}`}${
    check ? ` &middot; health_check ${esc(check.uri)} every ${check.intervalMs} ms (fails=${check.fails} passes=${check.passes})` : ''
  }${upstream.recoveries > 0 ? ` &middot; all peers reset ${fmt(upstream.recoveries)}&times;` : ''} &middot; <span class="${upstream.available ? '' : 'err'}">${upstream.available ? 'serving' : 'NO LIVE PEER'}</span></small></h2>
${renderAdmission(upstream)}
<form class="switch" data-upstream="${esc(upstream.name)}">algorithm: <input type="text" name="algorithm" value="${esc(upstream.algorithm)}" list="algorithms">
<button>switch</button> <span class="result"></span> <small>(until the next reload; e.g. ${ALGORITHMS.map((a) => esc(a.name)).join(', ')}, hash $request_uri consistent, random two)</small></form>
<datalist id="algorithms">${['round_robin', 'least_conn', 'ip_hash', 'hash $request_uri consistent', 'hash $remote_addr', 'random', 'random two least_conn'].map((a) => `<option value="${esc(a)}">`).join('')}</datalist>
<table>
<tr><th class="l">peer</th><th class="l">state</th><th class="l">health check</th><th>weight</th><th>eff. weight</th><th>active</th><th>max_conns</th><th>requests</th><th>failures</th><th>fails now</th><th>taken out</th><th>busy 503</th><th>read timeouts</th><th>2xx</th><th>4xx</th><th>5xx</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th></tr>
${upstream.peers.map(renderPeer).join('\n')}
<tr class="total"><td class="l">total</td><td class="l"></td><td class="l"></td><td></td><td></td><td>${fmt(total.active)}</td><td></td><td>${fmt(total.requests)}</td><td>${fmt(total.failures)}</td><td></td><td></td><td></td><td></td><td>${fmt(total.r2)}</td><td>${fmt(total.r4)}</td><td>${fmt(total.r5)}</td><td></td><td></td><td></td></tr>
</table>`;
}

function renderAdmission(upstream: UpstreamStatus): string {
  const { inFlight, limit, queue, refusedAtCapacity, adaptive } = upstream.admission;
  if (limit === 0 && queue === null && refusedAtCapacity === 0) return '';
  const waiting =
    queue === null
      ? `no queue &middot; refused at max_conns ${fmt(refusedAtCapacity)}`
      : `queued ${fmt(queue.waiting)} / ${fmt(queue.size)} (timeout ${queue.timeoutMs} ms) &middot; waited ${fmt(queue.admitted)}${queue.meanWaitMs === null ? '' : ` (mean ${ms(queue.meanWaitMs)} ms)`} &middot; refused: queue full ${fmt(queue.full)}, would wait too long ${fmt(queue.tooLong)}, timed out ${fmt(queue.timedOut)}`;
  const limits =
    adaptive === null
      ? ''
      : ` &middot; adaptive limit (target ${adaptive.targetMs} ms): ${adaptive.peers.map((peer) => `${esc(peer.address)} ${peer.limit}/${peer.ceiling}`).join(', ')}`;
  return `<p class="admission">admission: in flight ${fmt(inFlight)}${limit === 0 ? '' : ` / ${fmt(limit)} (max_conns)`} &middot; ${waiting}${limits}</p>`;
}

function renderPeer(peer: PeerStatus): string {
  const health =
    peer.health === null
      ? '-'
      : `${peer.health.healthy ? 'passing' : 'failing'}${peer.health.lastCheckError ? `: ${esc(peer.health.lastCheckError)}` : peer.health.lastCheckStatus ? ` (${peer.health.lastCheckStatus})` : ''}`;
  return `<tr class="${peer.state}${peer.backup ? ' backup' : ''}"><td class="l">${esc(peer.address)}${peer.backup ? ' <i>backup</i>' : ''}</td><td class="l"><span class="pill ${peer.state}">${peer.state}</span>${
    peer.reason ? ` <small>${esc(peer.reason)}</small>` : ''
  }</td><td class="l">${health}</td><td>${peer.weight}</td><td>${peer.effectiveWeight}</td><td>${fmt(peer.activeRequests)}</td><td>${peer.maxConns || '-'}</td><td>${fmt(peer.requests)}</td><td>${fmt(peer.failures)}</td><td>${peer.consecutiveFails}/${peer.maxFails}</td><td>${fmt(peer.ejections)}</td><td>${fmt(peer.busyAnswers)}</td><td>${fmt(peer.readTimeouts)}</td><td>${fmt(peer.responses['2xx'])}</td><td>${fmt(peer.responses['4xx'])}</td><td>${fmt(peer.responses['5xx'])}</td><td>${ms(peer.latencyMs.p50)}</td><td>${ms(peer.latencyMs.p90)}</td><td>${ms(peer.latencyMs.p99)}</td></tr>`;
}

function renderZones(status: BalancerStatus): string {
  return `<h2>rate limit zones</h2>
<table><tr><th class="l">zone</th><th class="l">key</th><th>rate/s</th><th>keys</th><th>passed</th><th>delayed</th><th>rejected</th></tr>
${status.zones.map((zone) => `<tr><td class="l">${esc(zone.name)}</td><td class="l">${esc(zone.key)}</td><td>${zone.ratePerSecond.toFixed(2)}</td><td>${fmt(zone.keys)}</td><td>${fmt(zone.passed)}</td><td>${fmt(zone.delayed)}</td><td>${fmt(zone.rejected)}</td></tr>`).join('\n')}
</table>`;
}

function fmt(value: number): string {
  return value.toLocaleString('en-US');
}

function ms(value: number | null): string {
  return value === null ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${seconds % 60}s` : `${seconds}s`;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
