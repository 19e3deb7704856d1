/**
 * The registry of scenarios: each one's definition (bench/scenarios/<name>/definition.ts: what the report, the
 * summary and `--list` need to know of it, no measuring code) and how to load its measuring code
 * (<name>/scenario.ts, loaded only by a run). A new scenario is its folder plus one entry here.
 */
import { UserError } from '../../lib/errors.ts';
import { browserDefinition } from './browser/definition.ts';
import { costDefinition } from './cost/definition.ts';
import { handshakeDefinition } from './handshake/definition.ts';
import { holDefinition } from './hol/definition.ts';
import { lifecycleDefinition } from './lifecycle/definition.ts';
import { policyDefinition } from './policy/definition.ts';
import { slowstartDefinition } from './slowstart/definition.ts';
import { inDefaultRun, type Scenario, type ScenarioDefinition, type SizeName } from './types.ts';

interface Entry {
  definition: ScenarioDefinition;
  load(): Promise<Scenario>;
}

/** In the order a run measures them. */
const REGISTRY: readonly Entry[] = [
  { definition: handshakeDefinition, load: async () => (await import('./handshake/scenario.ts')).handshakeScenario },
  { definition: holDefinition, load: async () => (await import('./hol/scenario.ts')).holScenario },
  { definition: slowstartDefinition, load: async () => (await import('./slowstart/scenario.ts')).slowstartScenario },
  { definition: lifecycleDefinition, load: async () => (await import('./lifecycle/scenario.ts')).lifecycleScenario },
  { definition: costDefinition, load: async () => (await import('./cost/scenario.ts')).costScenario },
  { definition: policyDefinition, load: async () => (await import('./policy/scenario.ts')).policyScenario },
  { definition: browserDefinition, load: async () => (await import('./browser/scenario.ts')).browserScenario },
];

export const DEFINITIONS: readonly ScenarioDefinition[] = REGISTRY.map((e) => e.definition);

/**
 * The scenarios a run of this size measures when --scenario does not name them: every one but the opt-in ones
 * (which --full adds); with --target only those that run remotely; with --ci only those with a CI plan.
 */
export function defaultScenarioNames(size: SizeName, remote: boolean): string[] {
  return DEFINITIONS.filter(
    (s) => (!remote || s.remoteCapable) && (size !== 'ci' || s.ciPlan) && inDefaultRun(s, size),
  ).map((s) => s.name);
}

export function scenarioNames(): string[] {
  return DEFINITIONS.map((d) => d.name);
}

export function definitionOf(name: string): ScenarioDefinition | undefined {
  return DEFINITIONS.find((d) => d.name === name);
}

/** The scenario that measures a claim (C1…C12); undefined for a claim no scenario measures. */
export function scenarioOfClaim(claim: string): ScenarioDefinition | undefined {
  return DEFINITIONS.find((d) => d.claims.includes(claim));
}

/** The named scenarios with their measuring code, in the order given. */
export async function loadScenarios(names: readonly string[]): Promise<Scenario[]> {
  return Promise.all(
    names.map(async (n) => {
      const entry = REGISTRY.find((e) => e.definition.name === n);
      if (!entry) throw new UserError(`unknown scenario '${n}'; known: ${scenarioNames().join(', ')}`);
      const scenario = await entry.load();
      if (scenario.name !== n) throw new Error(`the registry's entry ${n} loaded scenario ${scenario.name}`);
      return scenario;
    }),
  );
}
