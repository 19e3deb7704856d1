/** The policy scenario's section (C7 for the server under test), from policy.csv and the server side's sysctls. */
import type { RunFolder } from '../../load-run.ts';
import { readScenarioCsv } from '../../load-run.ts';
import type { ReportSection, SectionOutput } from '../types.ts';
import { TCP_KEEPALIVE_DEFAULT_S, policyFigures, verdictPolicyC7 } from './analysis.ts';
import { policyCaveats, policyTable } from './view.ts';

function keepaliveTime_s(meta: Record<string, unknown>): number {
  const sysctls = (meta.sysctls ?? {}) as { server?: Record<string, string> };
  const v = Number(sysctls.server?.['net.ipv4.tcp_keepalive_time']);
  return Number.isFinite(v) && v > 0 ? v : TCP_KEEPALIVE_DEFAULT_S;
}

export function buildPolicy(run: RunFolder): SectionOutput {
  const figures = policyFigures(readScenarioCsv(run.dir, 'policy'));
  return {
    claimSentence:
      'Servers close idle keep-alive connections after their own timeout — seconds to minutes — long before TCP keepalive (2 h by default) would probe them (C7).',
    verdicts: [verdictPolicyC7(figures, keepaliveTime_s(run.meta))],
    specs: [],
    tables: figures ? [policyTable(figures)] : [],
    caveats: figures ? policyCaveats(figures) : [],
  };
}

export const policySection: ReportSection = { scenario: 'policy', build: buildPolicy };
