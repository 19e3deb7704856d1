/** The policy scenario's section (C7 and, behind the harness's LB, C8 for the server under test), from policy.csv and the server side's sysctls. */
import type { RunFolder } from '../../load-run.ts';
import { readScenarioCsv } from '../../load-run.ts';
import type { ReportSection, SectionOutput } from '../types.ts';
import { TCP_KEEPALIVE_DEFAULT_S, policyFigures, verdictPolicyC7 } from './analysis.ts';
import { lbRaceCaveats, lbRaceTable, policyCaveats, policyTable } from './view.ts';
import { lbRaceFigures, verdictPolicyC8 } from './lb-race.ts';

function keepaliveTime_s(meta: Record<string, unknown>): number {
  const sysctls = (meta.sysctls ?? {}) as { server?: Record<string, string> };
  const v = Number(sysctls.server?.['net.ipv4.tcp_keepalive_time']);
  return Number.isFinite(v) && v > 0 ? v : TCP_KEEPALIVE_DEFAULT_S;
}

export function buildPolicy(run: RunFolder): SectionOutput {
  const rows = readScenarioCsv(run.dir, 'policy');
  const figures = policyFigures(rows);
  const lb = lbRaceFigures(rows);
  return {
    claimSentence:
      "Servers close idle keep-alive connections after their own timeout — seconds to minutes — long before TCP keepalive (2 h by default) would probe them (C7); behind a load balancer, whichever side's idle timeout fires first decides whether requests fail (C8, with --lb-idle-timeout).",
    verdicts: [verdictPolicyC7(figures, keepaliveTime_s(run.meta)), ...(lb ? [verdictPolicyC8(lb)] : [])],
    specs: [],
    tables: [...(figures ? [policyTable(figures)] : []), ...(lb ? [lbRaceTable(lb)] : [])],
    caveats: [...(figures ? policyCaveats(figures) : []), ...(lb ? lbRaceCaveats(lb) : [])],
  };
}

export const policySection: ReportSection = { scenario: 'policy', build: buildPolicy };
