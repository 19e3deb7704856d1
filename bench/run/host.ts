/**
 * The host before a run: what earlier runs left removed, this run's namespaces and child processes registered
 * for teardown before they exist, and `--allow-host-cc`'s change to the host (restored at exit).
 */
import { errorMessage } from '../../lib/errors.ts';
import { liveChildHandles } from '../../lib/child.ts';
import type { Progress } from '../../lib/progress.ts';
import type { Teardown } from '../../lib/teardown.ts';
import { cleanStale } from '../../netem/cleanup.ts';
import { extendHostAllowedCc, restoreHostAllowedCc } from '../../netem/host-cc.ts';
import { destroyNamespaces, namespaceNames } from '../../netem/topology.ts';
import type { BenchOptions } from '../scenarios/types.ts';
import type { RunFolder } from './folder.ts';
import { sleep } from '../../lib/sleep.ts';

const isRoot = (): boolean => process.getuid?.() === 0;

export async function prepareHost(
  options: BenchOptions,
  folder: RunFolder,
  teardown: Teardown,
  progress: Progress,
): Promise<void> {
  if (isRoot()) {
    // A leftover that cannot be removed must not keep every later run from starting: say so and go on.
    try {
      const { removed, left_alone } = await cleanStale();
      if (removed.length) progress.log(`removed what an earlier run left: ${removed.join(', ')}`);
      if (left_alone.length) progress.log(`left alone: ${left_alone.join('; ')}`);
    } catch (e) {
      progress.log(`warning: ${errorMessage(e)} (npm run clean shows what is left)`);
    }
  }
  // Registered before the link exists: a signal that lands while the link is being built must still
  // remove whatever part of it was made. Runs last (steps run in reverse).
  teardown.add('child processes', async () => {
    await Promise.all(liveChildHandles().map((c) => c.stop()));
  });
  if (isRoot()) {
    teardown.add('namespaces of this run', async () => {
      await destroyNamespaces(namespaceNames(folder.runId));
      // An `ip netns add` spawned just before the signal may finish after the first pass.
      await sleep(200);
      await destroyNamespaces(namespaceNames(folder.runId));
    });
  }
  const wanted = options.allow_host_cc ?? [];
  if (wanted.length > 0 && (options.target ?? null) === null) await allowHostCc(wanted, folder, teardown, progress);
}

async function allowHostCc(wanted: string[], folder: RunFolder, teardown: Teardown, progress: Progress): Promise<void> {
  const key = 'net.ipv4.tcp_allowed_congestion_control';
  const restore = 'at exit; after a SIGKILL by npm run clean or the next run';
  let extending: Promise<unknown> = Promise.resolve();
  // Registered first and awaiting the extension: a signal while the list is being changed still restores it.
  teardown.add('host congestion-control list', async () => {
    await extending.catch(() => undefined);
    const outcome = await restoreHostAllowedCc(folder.runId);
    if (outcome === 'restored') progress.log(`restored the host ${key}`);
    folder.meta.update({ host_settings_restored: outcome });
  });
  folder.meta.update({ host_settings_changed: [{ key, wanted, restore }] });
  const pending = extendHostAllowedCc(folder.runId, wanted);
  extending = pending;
  const change = await pending;
  if (change !== null) {
    progress.log(
      `--allow-host-cc: host ${key} changed from "${change.from}" to "${change.to}" for this run; it is restored at exit (after a SIGKILL: npm run clean)`,
    );
    folder.meta.update({ host_settings_changed: [{ key, from: change.from, to: change.to, restore }] });
  }
}
