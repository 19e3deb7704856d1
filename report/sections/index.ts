/** Every scenario's report section; a later scenario adds its file and one line here. */
import { handshakeSection } from './handshake/section.ts';
import { slowstartSection } from './slowstart/section.ts';
import { holSection } from './hol/section.ts';
import { lifecycleSection } from './lifecycle/section.ts';
import { costSection } from './cost/section.ts';
import { policySection } from './policy/section.ts';
import { browserSection } from './browser/section.ts';
import type { ReportSection } from './types.ts';

export const SECTIONS: readonly ReportSection[] = [
  handshakeSection,
  slowstartSection,
  holSection,
  lifecycleSection,
  costSection,
  policySection,
  browserSection,
];

export function sectionFor(scenario: string): ReportSection | undefined {
  return SECTIONS.find((s) => s.scenario === scenario);
}
