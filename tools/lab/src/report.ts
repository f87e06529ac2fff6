import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LabResult } from './experiment';
import type { RunStamp } from './run-stamp';
import { renderCharts } from './svg-chart';

export interface SavedReport {
  json: string;
  svg: string;
}

/**
 * Writes `<dir>/<name>.json` (the numbers, with when, where and on which commit they were
 * measured, and how busy the machine was) and
 * `<dir>/<name>.svg` (the charts). The committed copies under tools/lab/results are the
 * numbers the tutorial quotes; a reader's run overwrites them, so `git diff` compares.
 */
export async function saveReport(dir: string, name: string, result: LabResult, run?: RunStamp): Promise<SavedReport> {
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, `${name}.json`);
  const svg = path.join(dir, `${name}.svg`);
  const document = {
    experiment: name,
    measuredAt: new Date().toISOString(),
    // What was measured, how to rerun it, and how busy the machine was (absent in files written before this).
    ...(run ? { run } : {}),
    machine: machineDescription(),
    headline: result.headline,
    measurements: result.measurements,
    notes: result.notes ?? [],
    ...(result.details ? { details: result.details } : {}),
  };
  await writeFile(json, `${JSON.stringify(document, null, 2)}\n`);
  await writeFile(svg, renderCharts(`tenk lab: ${name} - ${result.headline}`, result.charts));
  return { json, svg };
}

/** The machine a measurement was made on, as the lab's and the load tool's reports record it. */
export interface MachineDescription {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
}

export function machineDescription(): MachineDescription {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}
