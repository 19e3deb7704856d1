import { UserError } from '../../lib/errors.ts';
import { handshakeScenario } from './handshake.ts';
import { holScenario } from './hol.ts';
import { lifecycleScenario } from './lifecycle.ts';
import { slowstartScenario } from './slowstart.ts';
import { costScenario } from './cost.ts';
import type { Scenario } from './types.ts';

export const SCENARIOS: readonly Scenario[] = [handshakeScenario, holScenario, slowstartScenario, lifecycleScenario, costScenario];

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}

export function getScenarios(names: readonly string[]): Scenario[] {
  return names.map((n) => {
    const s = SCENARIOS.find((x) => x.name === n);
    if (!s) throw new UserError(`unknown scenario '${n}'; known: ${scenarioNames().join(', ')}`);
    return s;
  });
}
