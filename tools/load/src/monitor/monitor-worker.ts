/**
 * The process monitor in a worker thread: reading /proc for a few hundred processes takes
 * 10-30 ms, which on the load generator's own thread would stall every request in flight
 * (and show up as latency). Here it costs the generator a little CPU, never a pause.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ProcessMonitor, type MonitorOptions } from './process-monitor';
import type { ProcessGroup } from './shop-processes';

export interface MonitorWorkerData {
  groups: ProcessGroup[];
  options: MonitorOptions;
  intervalMs: number;
}

export type MonitorRequest = { type: 'snapshot'; id: number; label: string } | { type: 'stop' };

const data = workerData as MonitorWorkerData;
const port = parentPort;
if (!port) throw new Error('monitor-worker.ts runs as a worker thread');
const monitor = new ProcessMonitor(data.groups, data.options);
port.postMessage({ type: 'groups', groups: monitor.groups });
const timer = setInterval(() => port.postMessage({ type: 'sample', sample: monitor.sample() }), data.intervalMs);
port.on('message', (request: MonitorRequest) => {
  if (request.type === 'snapshot') port.postMessage({ type: 'snapshot', id: request.id, snapshot: monitor.snapshot(request.label) });
  else {
    clearInterval(timer);
    port.close();
  }
});
