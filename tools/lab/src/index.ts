// The lab's public API for other tools (tools/load starts the lab shop for its runs).
export { LAB_ENV, busyLabPorts, startLabShop } from './lab-shop';
export { machineDescription, type MachineDescription } from './report';
export { labCommands, TUTORIAL_DIR, type TutorialCommand } from './tutorial';
export { MachineLoadMonitor, type LoadSummary } from './machine-load';
export { commandLine, gitState, QUIET_CORES, runStamp, stackVersions, type RunStamp } from './run-stamp';
export {
  renderCharts,
  renderLineChart,
  niceTicks,
  escapeXml,
  formatValue,
  PALETTE,
  type Chart,
  type Bar,
  type LineChart,
  type LineSeries,
} from './svg-chart';
export { renderHostsChart, type HostsResults } from './hosts-chart';
