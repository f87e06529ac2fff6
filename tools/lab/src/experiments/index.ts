import type { Experiment } from '../experiment';
import { balancerExperiment } from './balancer';
import { balancerAlgorithmsExperiment } from './balancer-algorithms';
import { balancerWorkersExperiment } from './balancer-workers';
import { balancerRefusalsExperiment } from './balancer-refusals';
import { breakerExperiment } from './breaker';
import { queueExperiment } from './queue';
import { cacheExperiment } from './cache';
import { stampedeExperiment } from './stampede';
import { shardsExperiment } from './shards';
import { indexesExperiment } from './indexes';
import { replicaExperiment } from './replica';
import { tracingExperiment } from './tracing';
import { efficiencyExperiment } from './efficiency';
import { idleExperiment } from './idle';
import { overloadExperiment } from './overload';

/**
 * Every experiment, one file each under experiments/. Adding one: write the file, add it here.
 */
export const EXPERIMENTS: Experiment[] = [
  breakerExperiment,
  balancerExperiment,
  balancerAlgorithmsExperiment,
  balancerWorkersExperiment,
  balancerRefusalsExperiment,
  queueExperiment,
  cacheExperiment,
  stampedeExperiment,
  shardsExperiment,
  indexesExperiment,
  replicaExperiment,
  tracingExperiment,
  efficiencyExperiment,
  idleExperiment,
  overloadExperiment,
];
