import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { requirePrivileged } from '../helpers/privileged.ts';
import {
  ALLOWED_CC_PATH,
  AVAILABLE_CC_PATH,
  HOST_RECORD_DIR,
  extendHostAllowedCc,
  extendedAllowedList,
  listAfterLeaving,
  restoreHostAllowedCc,
  restoreStaleHostCc,
  withLock,
} from '../../netem/host-cc.ts';
import { newRunId, processStartTicks } from '../../netem/topology.ts';

test('extendedAllowedList adds only what is missing, refuses what the kernel lacks', () => {
  assert.deepEqual(extendedAllowedList(['reno', 'bbr'], ['reno', 'bbr', 'cubic'], ['cubic']), {
    list: ['reno', 'bbr', 'cubic'],
    added: ['cubic'],
  });
  assert.equal(extendedAllowedList(['reno', 'bbr'], ['reno', 'bbr', 'cubic'], ['bbr']), null);
  assert.deepEqual(extendedAllowedList(['reno'], ['reno', 'bbr', 'cubic'], ['cubic', 'cubic', 'bbr']), {
    list: ['reno', 'cubic', 'bbr'],
    added: ['cubic', 'bbr'],
  });
  assert.throws(() => extendedAllowedList(['reno'], ['reno', 'cubic'], ['vegas']), /not available in this kernel/);
  assert.throws(() => extendedAllowedList(['reno'], ['reno'], ['cu bic']), /not a congestion control name/);
});

function notAllowedButAvailable(): string | null {
  const allowed = readFileSync(ALLOWED_CC_PATH, 'utf8').trim().split(/\s+/);
  const available = readFileSync(AVAILABLE_CC_PATH, 'utf8').trim().split(/\s+/);
  return available.find((cc) => !allowed.includes(cc)) ?? null;
}

/** Runs body with a congestion control to add; the host list is put back whatever the body does. */
async function withHostList(t: TestContext, body: (cc: string, before: string) => Promise<void>): Promise<void> {
  if (!requirePrivileged(t)) return;
  const cc = notAllowedButAvailable();
  if (cc === null) return t.skip('every available congestion control is already allowed on this host');
  const before = readFileSync(ALLOWED_CC_PATH, 'utf8').trim();
  try {
    await body(cc, before);
  } finally {
    if (readFileSync(ALLOWED_CC_PATH, 'utf8').trim() !== before) writeFileSync(ALLOWED_CC_PATH, before);
  }
}

test('the host list is extended for a run and put back exactly, at exit and after a SIGKILL', (t) =>
  withHostList(t, async (cc, before) => {
    const runId = newRunId();
    const change = await extendHostAllowedCc(runId, [cc]);
    assert.ok(change);
    assert.equal(change.from, before);
    assert.ok(readFileSync(ALLOWED_CC_PATH, 'utf8').trim().split(/\s+/).includes(cc));
    assert.ok(existsSync(`${HOST_RECORD_DIR}/${runId}.json`), 'the run is on record before the host changes');
    assert.equal(await restoreHostAllowedCc(runId), 'restored');
    assert.equal(readFileSync(ALLOWED_CC_PATH, 'utf8').trim(), before);
    assert.ok(!existsSync(`${HOST_RECORD_DIR}/${runId}.json`));
    assert.ok(!existsSync(`${HOST_RECORD_DIR}/original.json`), 'the last run out removes the original');

    // A killed run: its record names a pid that is gone; clean (restoreStaleHostCc) puts the list back.
    const killed = newRunId();
    await extendHostAllowedCc(killed, [cc]);
    const recPath = `${HOST_RECORD_DIR}/${killed}.json`;
    const rec = JSON.parse(readFileSync(recPath, 'utf8')) as { pid: number };
    writeFileSync(recPath, JSON.stringify({ ...rec, pid: 2 ** 22 + 1 }));
    const restored = await restoreStaleHostCc((pid) => pid === process.pid);
    assert.equal(restored.length, 1);
    assert.match(restored[0] ?? '', /restored/);
    assert.equal(readFileSync(ALLOWED_CC_PATH, 'utf8').trim(), before);
  }));

test('two runs that need the same addition: the first to leave keeps it for the other, the last restores the host', (t) =>
  withHostList(t, async (cc, before) => {
    const a = newRunId();
    const b = newRunId();
    assert.ok(await extendHostAllowedCc(a, [cc]));
    assert.equal(await extendHostAllowedCc(b, [cc]), null, 'already allowed: nothing to add, but b is on record');
    assert.equal(await restoreHostAllowedCc(a), 'unchanged');
    assert.ok(readFileSync(ALLOWED_CC_PATH, 'utf8').trim().split(/\s+/).includes(cc), 'b still needs it');
    assert.equal(await restoreHostAllowedCc(b), 'restored');
    assert.equal(readFileSync(ALLOWED_CC_PATH, 'utf8').trim(), before);
  }));

test('a host list the operator already put back is left alone', (t) =>
  withHostList(t, async (cc, before) => {
    const runId = newRunId();
    mkdirSync(HOST_RECORD_DIR, { recursive: true });
    await extendHostAllowedCc(runId, [cc]);
    writeFileSync(ALLOWED_CC_PATH, before);
    assert.equal(await restoreHostAllowedCc(runId), 'unchanged');
    assert.equal(readFileSync(ALLOWED_CC_PATH, 'utf8').trim(), before);
  }));

test('listAfterLeaving takes out only what runs added and no other run needs', () => {
  assert.deepEqual(listAfterLeaving(['reno', 'bbr', 'cubic', 'htcp'], ['cubic', 'htcp'], new Set(['htcp'])), [
    'reno',
    'bbr',
    'htcp',
  ]);
  assert.deepEqual(
    listAfterLeaving(['reno'], ['bbr'], new Set()),
    ['reno'],
    'never adds back what someone else removed',
  );
  assert.deepEqual(
    listAfterLeaving(['bbr', 'cubic', 'reno'], ['cubic'], new Set()),
    ['bbr', 'reno'],
    'what an admin added meanwhile (reno) stays',
  );
});

test('a name an admin adds while a run holds the list stays when the run leaves', (t) =>
  withHostList(t, async (cc, before) => {
    const list = before.split(/\s+/);
    const adminAdds = list.find((x) => x !== 'bbr') ?? list[0];
    assert.ok(adminAdds);
    // The host without one of its names, as if the admin had not yet added it.
    const start = list.filter((x) => x !== adminAdds).join(' ');
    writeFileSync(ALLOWED_CC_PATH, start);
    const runId = newRunId();
    assert.ok(await extendHostAllowedCc(runId, [cc]));
    writeFileSync(ALLOWED_CC_PATH, `${readFileSync(ALLOWED_CC_PATH, 'utf8').trim()} ${adminAdds}`);
    assert.equal(await restoreHostAllowedCc(runId), 'restored');
    // The kernel lists them in its own order.
    assert.deepEqual(readFileSync(ALLOWED_CC_PATH, 'utf8').trim().split(/\s+/).sort(), [...list].sort());
  }));

test('the state lock: a live holder is waited for, then named; a dead holder’s lock is broken at once', (t) => {
  if (!requirePrivileged(t)) return;
  mkdirSync(HOST_RECORD_DIR, { recursive: true });
  const lock = `${HOST_RECORD_DIR}/lock`;
  assert.ok(!existsSync(lock), 'no other run holds it');
  t.after(() => rmSync(lock, { force: true }));
  writeFileSync(lock, JSON.stringify({ pid: process.pid, pid_start_ticks: processStartTicks(process.pid) }));
  assert.throws(() => withLock(() => 'ran', 300), /held by process \d+, still running after 300 ms/);
  assert.ok(existsSync(lock), 'a live holder keeps its lock');
  writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 1, pid_start_ticks: null }));
  assert.equal(
    withLock(() => 'ran', 300),
    'ran',
  );
  assert.ok(!existsSync(lock), 'released after');
});
