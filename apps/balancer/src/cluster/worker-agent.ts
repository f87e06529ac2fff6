import { AggregatorRegistry } from 'prom-client';
import { algorithmAnswer } from '../admin/local-admin';
import { createMetricsRegistry } from '../admin/metrics';
import { buildStatus } from '../admin/status';
import type { Balancer } from '../balancer';
import { isTenkMessage, type PrimaryMessage, type ReplyValue, type WorkerMessage } from './messages';
import type { WorkerZoneBook } from './zone-sync';

/** Sends to the primary over the cluster channel (dropped once the channel has closed, e.g. while the primary exits). */
export function sendToPrimary(message: WorkerMessage): void {
  if (process.connected && process.send) process.send(message);
}

/**
 * A worker's answers to its primary (worker_processes N): its status for the admin's sum,
 * reloads and algorithm switches the admin broadcasts, the zone updates it adopts, and
 * prom-client's metrics requests (AggregatorRegistry sums the workers' registries).
 */
export function serveWorker(balancer: Balancer, book: WorkerZoneBook): void {
  AggregatorRegistry.setRegistries([createMetricsRegistry(balancer)]);
  // Constructing one installs prom-client's listener for the primary's metrics requests.
  new AggregatorRegistry();
  process.on('message', (message: unknown) => {
    if (!isTenkMessage(message)) return;
    const request = message as PrimaryMessage;
    switch (request.type) {
      case 'tenk:status':
        return reply(request.id, buildStatus(balancer));
      case 'tenk:reload':
        return void balancer.reloadFromFile().then((problem) => reply(request.id, problem));
      case 'tenk:algorithm':
        return reply(request.id, algorithmAnswer(balancer.generation, request.upstream, request.change));
      default:
        return book.apply(request);
    }
  });
  sendToPrimary({ type: 'tenk:ready', listen: balancer.listenerAddresses() });
}

function reply(id: number, value: ReplyValue): void {
  sendToPrimary({ type: 'tenk:reply', id, value });
}
