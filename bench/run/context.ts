/** What a scenario is handed for one profile: the link, the agent, a server factory, and where its rows go. */
import { join } from 'node:path';
import { CsvAppender } from '../../lib/csv-file.ts';
import type { Progress } from '../../lib/progress.ts';
import type { Teardown } from '../../lib/teardown.ts';
import { SAMPLE_COLUMNS, type SampleColumn } from '../../lib/schema.ts';
import type { Profile } from '../../netem/link.ts';
import type { Calibration } from '../drivers/calibrate.ts';
import type { BenchOptions, ScenarioContext, ScenarioDefinition } from '../scenarios/types.ts';
import type { RunFolder } from './folder.ts';
import type { Testbed } from './testbed.ts';

const RESERVED_CSV = new Set(['samples', 'summary', 'calibration']);

export function scenarioContext(args: {
  folder: RunFolder;
  bed: Testbed;
  definition: ScenarioDefinition;
  options: BenchOptions;
  profile: Profile;
  calibration: Calibration;
  progress: Progress;
  signal: AbortSignal;
  /** Stops the servers the scenario starts, when the scenario ends. */
  servers: Teardown;
}): ScenarioContext {
  const { folder, bed, definition, profile, calibration, servers } = args;
  const { link, congestion_control } = bed;
  const caveat = link.caveats.join('; ');
  return {
    runId: folder.runId,
    options: args.options,
    profile,
    link,
    calibration,
    congestion_control,
    agent: bed.agent,
    progress: args.progress,
    signal: args.signal,
    startServer: (config) => bed.startServer(config, servers),
    onEnd: (label, fn) => servers.add(label, fn),
    serves: bed.serves,
    offer: bed.offer,
    skipPart(part, reason) {
      folder.noteSkip(profile.name, definition.name, reason, part);
      args.progress.log(`[${profile.name}] ${definition.name} ${part}: skipped, ${reason}`);
    },
    csv<C extends string>(name: string, columns: readonly C[]): CsvAppender<C> {
      if (!/^[a-z][a-z0-9-]*$/.test(name) || RESERVED_CSV.has(name)) throw new Error(`bad extra CSV name "${name}"`);
      const declared = definition.csvFiles[name];
      if (!declared || declared.join(',') !== columns.join(',')) {
        throw new Error(
          `${name}.csv is not declared with these columns in the ${definition.name} scenario's definition (csvFiles)`,
        );
      }
      let w = folder.extraCsvs.get(name);
      if (!w) folder.extraCsvs.set(name, (w = new CsvAppender<string>(join(folder.dir, `${name}.csv`), columns)));
      return w as CsvAppender<C>;
    },
    record(row) {
      const full = Object.fromEntries(Object.keys(SAMPLE_COLUMNS).map((c) => [c, null])) as Record<SampleColumn, null>;
      folder.samples.append({
        ...full,
        ...row,
        run_id: folder.runId,
        profile: profile.name,
        link_backend: link.backend,
        link_caveat: caveat,
        rtt_ms_configured: profile.params.rtt_ms,
        rtt_ms_calibrated: calibration.rtt_ms_calibrated,
        // A scenario that sweeps loss within a profile says what was in force for the row.
        loss_pct_configured: row.loss_pct_configured ?? profile.params.loss_pct,
        rate_mbit_configured: profile.params.rate_mbit,
        // A scenario that switches congestion control per case says which one served the row.
        congestion_control: row.congestion_control ?? congestion_control,
      });
    },
  };
}
