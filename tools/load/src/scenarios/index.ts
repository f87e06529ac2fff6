import { browse } from './browse';
import { buy } from './buy';
import type { Scenario, ScenarioName } from './scenario';
import { upload } from './upload';

export const SCENARIOS: Record<ScenarioName, Scenario> = { browse, buy, upload };

/** What `mixed` runs when --mix is not given: mostly browsing, some buying, a few uploads. */
export const DEFAULT_MIX: Record<ScenarioName, number> = { browse: 90, buy: 8, upload: 2 };

export interface MixEntry {
  scenario: Scenario;
  weight: number;
}

/** `browse=80,buy=15,upload=5` -> entries; every name checked, weights positive integers. */
export function parseMix(text: string): MixEntry[] {
  const entries = text.split(',').map((part) => {
    const [name, weight] = part.split('=').map((piece) => piece.trim());
    const scenario = SCENARIOS[name as ScenarioName];
    if (!scenario) throw new Error(`--mix: unknown scenario "${name}"; use ${Object.keys(SCENARIOS).join(', ')}`);
    const value = Number(weight);
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`--mix: weight of ${name} must be a whole number of 0 or more, got "${weight ?? ''}"`);
    return { scenario, weight: value };
  });
  if (!entries.some((entry) => entry.weight > 0)) throw new Error('--mix: at least one weight must be above 0');
  return entries.filter((entry) => entry.weight > 0);
}

/**
 * Which scenario each user plays, in the proportions of the mix at every point of the
 * ramp-up (not only on average): nginx's smooth weighted round-robin, over user numbers.
 */
export function assignScenarios(mix: readonly MixEntry[], users: number): Scenario[] {
  const current = mix.map(() => 0);
  const total = mix.reduce((sum, entry) => sum + entry.weight, 0);
  const assigned: Scenario[] = [];
  for (let user = 0; user < users; user++) {
    let best = 0;
    for (let i = 0; i < mix.length; i++) {
      current[i] += mix[i].weight;
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    assigned.push(mix[best].scenario);
  }
  return assigned;
}
