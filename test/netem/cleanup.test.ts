import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { requirePrivileged } from '../helpers/privileged.ts';
import { cleanStale, planCleanup } from '../../netem/cleanup.ts';
import type { OwnershipRecord } from '../../netem/topology.ts';
import {
  createNamespaces,
  destroyNamespaces,
  listNetns,
  newRunId,
  processStartTicks,
  recordPath,
  run,
} from '../../netem/topology.ts';

const rec = (pid: number, netns: string[], links: string[] = []): OwnershipRecord => ({
  pid,
  pid_start_ticks: null,
  started_at: '2024-01-01T00:00:00.000Z',
  netns,
  links,
});

test('planCleanup removes dead runs, keeps live ones, never touches other names, unrecorded ones only with force', () => {
  const state = {
    records: new Map<string, OwnershipRecord | null>([
      ['aaaaaa', rec(100, ['kab-aaaaaa-c', 'kab-aaaaaa-s'], ['kabaaaaaac', 'kabaaaaaas'])],
      ['bbbbbb', rec(200, ['kab-bbbbbb-c', 'kab-bbbbbb-s'], ['kabbbbbbbc'])],
      ['cccccc', null],
    ]),
    netns: [
      'kab-aaaaaa-c',
      'kab-aaaaaa-s',
      'kab-bbbbbb-c',
      'kab-cccccc-p',
      'kab-dddddd-c',
      'kabinet',
      'other',
      'notkab-x',
    ],
    links: ['lo', 'eth0', 'kabaaaaaac', 'kabbbbbbbc', 'kabdddddds', 'kab0', 'xkab0'],
    isAlive: (pid: number) => pid === 100,
  };
  const plan = planCleanup(state);
  // bbbbbb's process is gone; cccccc's record is unreadable (a dead run's); dddddd has no record at all.
  assert.deepEqual(plan.netns, ['kab-bbbbbb-c', 'kab-cccccc-p']);
  assert.deepEqual(plan.links, ['kabbbbbbbc']);
  assert.deepEqual(plan.records.sort(), ['bbbbbb', 'cccccc']);
  assert.deepEqual(plan.left_alone, [
    'netns kab-dddddd-c: no record of the run that made it (npm run clean -- --force removes it)',
    'netns kabinet: not a name the harness gives',
    'link kabdddddds: no record of the run that made it (npm run clean -- --force removes it)',
    'link kab0: not a name the harness gives',
  ]);
  const forced = planCleanup(state, true);
  assert.deepEqual(forced.netns, ['kab-bbbbbb-c', 'kab-cccccc-p', 'kab-dddddd-c']);
  assert.deepEqual(forced.links, ['kabbbbbbbc', 'kabdddddds']);
  assert.deepEqual(forced.left_alone, [
    'netns kabinet: not a name the harness gives',
    'link kab0: not a name the harness gives',
  ]);
});

test('cleanStale removes a dead run (namespaces, its processes, record) and leaves a live run alone', async (t) => {
  if (!requirePrivileged(t)) return;
  const stale = await createNamespaces(newRunId());
  const live = await createNamespaces(newRunId());
  t.after(async () => {
    await destroyNamespaces(stale).catch(() => undefined);
    await destroyNamespaces(live);
  });
  // Make `stale` look like a run whose process died: its record names a pid that has exited.
  const dead = execa('true');
  await dead;
  writeFileSync(
    recordPath(stale.runId),
    JSON.stringify({
      ...rec(dead.pid as number, [stale.clientNs, stale.serverNs], [stale.clientDev, stale.serverDev]),
      pid_start_ticks: 1,
    }),
  );
  const leftover = execa('ip', ['netns', 'exec', stale.serverNs, 'sleep', '30'], { reject: false });
  await new Promise((r) => setTimeout(r, 200));
  await run([
    'ip',
    'link',
    'add',
    stale.clientDev,
    'netns',
    stale.clientNs,
    'type',
    'veth',
    'peer',
    'name',
    stale.serverDev,
    'netns',
    stale.serverNs,
  ]);

  const logged: string[] = [];
  const { removed } = await cleanStale({ log: (l) => logged.push(l) });

  assert.ok(removed.includes(`netns ${stale.clientNs}`), removed.join(', '));
  assert.ok(removed.includes(`netns ${stale.serverNs}`));
  assert.ok(removed.includes(`record ${stale.runId}`));
  assert.ok(logged.length >= 3);
  const r = await leftover;
  assert.equal(r.signal, 'SIGKILL');
  const ns = await listNetns();
  assert.ok(!ns.includes(stale.clientNs) && !ns.includes(stale.serverNs));
  assert.ok(!existsSync(recordPath(stale.runId)));

  assert.ok(!removed.some((x) => x.includes(live.runId)));
  assert.ok(ns.includes(live.clientNs) && ns.includes(live.serverNs));
  assert.ok(existsSync(recordPath(live.runId)));
});

test('cleanStale leaves a namespace called kabinet and an unrecorded kab one alone; --force removes the latter', async (t) => {
  if (!requirePrivileged(t)) return;
  const name = `kab-${newRunId()}-c`;
  const foreign = `kabinet${newRunId()}`;
  await run(['ip', 'netns', 'add', name]);
  await run(['ip', 'netns', 'add', foreign]);
  t.after(() => run(['ip', 'netns', 'delete', name]).catch(() => undefined));
  t.after(() => run(['ip', 'netns', 'delete', foreign]).catch(() => undefined));
  const plain = await cleanStale();
  assert.ok(!plain.removed.includes(`netns ${name}`));
  assert.ok(plain.left_alone.some((x) => x.startsWith(`netns ${name}: no record`)));
  assert.ok(plain.left_alone.includes(`netns ${foreign}: not a name the harness gives`));
  const forced = await cleanStale({ force: true });
  assert.ok(forced.removed.includes(`netns ${name}`));
  const left = await listNetns();
  assert.ok(!left.includes(name) && left.includes(foreign), 'kabinet survives even --force');
});
