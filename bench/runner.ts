/**
 * One benchmark run, in phases: plan → run folder → host → testbed (link, agent) → per profile: calibrate and
 * run its scenarios → summary. Samples are written as they are measured; everything started is registered with
 * the session's one teardown, which runs on every way out.
 */
import os from 'node:os';
import { join, resolve } from 'node:path';
import { errorMessage } from '../lib/errors.ts';
import { Progress } from '../lib/progress.ts';
import type { SummaryRow } from '../lib/schema.ts';
import type { RunStatus } from './results/meta.ts';
import { writeSummaryFile } from './results/summarize-run.ts';
import { RunFolder } from './run/folder.ts';
import { prepareHost } from './run/host.ts';
import { planRun } from './run/plan.ts';
import { measureEndpoints, runProfile } from './run/profile.ts';
import { RunSession } from './run/session.ts';
import { openTestbed } from './run/testbed.ts';
import { loadScenarios } from './scenarios/definitions.ts';
import type { BenchOptions } from './scenarios/types.ts';

export interface RunOutcome {
  runDir: string;
  status: RunStatus;
  summary: SummaryRow[];
}

export async function runBench(options: BenchOptions, progress = new Progress()): Promise<RunOutcome> {
  const scenarios = await loadScenarios(options.scenarios);
  const plan = planRun(options, scenarios);
  const folder = new RunFolder(options, plan, scenarios);
  const session = new RunSession(folder, progress);
  const status = await session.run(async () => {
    await prepareHost(options, folder, session.teardown, progress);
    const bed = await openTestbed(options, plan, folder, session.teardown, progress, (e) => session.fail(e));
    const calibrationServer = await bed.startCalibrationServer(session.teardown);
    for (const p of plan) for (const s of p.scenarios) progress.plan(s.plannedUnits(options, p.profile));
    const base = { options, folder, bed, session, progress, calibrationServer };
    const endpointConnect_ms = await measureEndpoints(base, plan[0]);
    for (const step of plan) {
      if (session.aborted) break;
      await runProfile({ ...base, endpointConnect_ms }, step);
    }
  });
  let summary: SummaryRow[];
  try {
    summary = writeSummaryFile(join(folder.dir, 'samples.csv'), join(folder.dir, 'summary.csv'));
  } catch (e) {
    folder.finish({ kind: 'errored', error: `writing summary.csv: ${errorMessage(e)}` });
    throw e;
  }
  folder.finish(status, { load_average_at_end: os.loadavg() });
  return { runDir: resolve(folder.dir), status, summary };
}
