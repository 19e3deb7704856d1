/**
 * A run interrupted by SIGINT/SIGTERM cleans up itself; one killed by SIGKILL leaves only namespaces, which the
 * next `npm run clean` removes. Either way every sample measured before the signal is in samples.csv.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePrivileged } from '../helpers/privileged.ts';
import { alive, leftovers, measuredRows, waitFor, waitForRunFolder } from '../helpers/run-state.ts';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { readCsv } from '../../lib/csv-file.ts';

/** A handshake run at lan on the tun link, long enough to be interrupted; its folder once it exists. */
async function startRun(t: TestContext, prefix: string) {
  const out = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const { child, done } = startCli('bench', [
    '--scenario',
    'handshake',
    '--profile',
    'lan',
    '--link',
    'tun',
    '--requests',
    '400',
    '--out',
    out,
  ]);
  t.after(() => child.kill('SIGKILL'));
  return { child, done, runDir: await waitForRunFolder(out, 30_000) };
}

async function interruptedRun(t: TestContext, signal: NodeJS.Signals, when: 'setup' | 'mid-case') {
  const { child, done, runDir } = await startRun(t, 'kab-sig-');
  const meta = () => JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as Record<string, any>;
  const runId = meta().run_id as string;
  if (when === 'mid-case') await waitFor('30 samples', () => measuredRows(runDir) >= 30, 90_000);
  else await waitFor('namespaces', () => leftovers(runId).length > 0, 30_000);
  const rowsAtSignal = measuredRows(runDir);
  child.kill(signal);
  const r = await done;
  return { r, runDir, runId, rowsAtSignal, meta: meta() };
}

const EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  // A closed terminal (SIGHUP) is handled like SIGTERM: once, mid-case, is enough to show it.
  for (const when of signal === 'SIGHUP' ? (['mid-case'] as const) : (['setup', 'mid-case'] as const)) {
    test(`${signal} during ${when}: exits ${EXIT[signal]}, removes everything, keeps the samples`, async (t) => {
      if (!requirePrivileged(t)) return;
      const { r, runDir, runId, rowsAtSignal, meta } = await interruptedRun(t, signal, when);
      assert.equal(r.code, EXIT[signal], r.stderr);
      assert.deepEqual(leftovers(runId), []);
      for (const p of (meta.processes ?? []) as Array<{ pid: number; role: string }>)
        assert.ok(!alive(p.pid), `${p.role} ${p.pid} still alive`);
      assert.deepEqual(meta.status, { kind: 'aborted', signal });
      if (when === 'mid-case') {
        const rows = readCsv(join(runDir, 'samples.csv'));
        assert.ok(rows.length >= rowsAtSignal, `${rows.length} rows ≥ ${rowsAtSignal} at the signal`);
      }
    });
  }
}

test('SIGKILL mid-case: children exit on their own, `npm run clean` removes the namespaces, samples stay', async (t) => {
  if (!requirePrivileged(t)) return;
  const { r, runDir, runId, rowsAtSignal, meta } = await interruptedRun(t, 'SIGKILL', 'mid-case');
  assert.equal(r.signal, 'SIGKILL');
  // Every child reads the harness's stdin pipe and exits at EOF: no orphans even after SIGKILL.
  await waitFor(
    'children to exit',
    () => ((meta.processes ?? []) as Array<{ pid: number }>).every((p) => !alive(p.pid)),
    10_000,
  );
  const clean = await runCli('clean', [], 60_000);
  assert.equal(clean.code, 0, clean.stderr);
  assert.match(clean.stdout, new RegExp(`kab-${runId}`));
  assert.deepEqual(leftovers(runId), []);
  const rows = readCsv(join(runDir, 'samples.csv'));
  assert.ok(rows.length >= rowsAtSignal);
  assert.deepEqual(meta.status, { kind: 'running' }, 'a killed run cannot write its end; its meta says running');
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} while the report is written: exits ${signal === 'SIGINT' ? 130 : 143}, the measured files are whole, no half report, npm run report rebuilds it`, async (t) => {
    const out = mkdtempSync(join(tmpdir(), 'kab-sigrep-'));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const { child, done } = startCli('bench', [
      '--scenario',
      'handshake',
      '--profile',
      'loopback',
      '--link',
      'none',
      '--requests',
      '10',
      '--quick',
      '--out',
      out,
    ]);
    t.after(() => child.kill('SIGKILL'));
    // summary.csv is the last file written before the report; the report takes hundreds of ms to render.
    await waitFor('summary.csv', () => existsSync(join(out, 'latest', 'summary.csv')), 90_000);
    child.kill(signal);
    const r = await done;
    const runDir = join(out, readlinkSync(join(out, 'latest')));
    assert.equal(r.code, signal === 'SIGINT' ? 130 : 143, r.stderr);
    assert.match(r.stderr, /while writing the report: the run's files are complete/);
    assert.deepEqual(
      readdirSync(runDir).filter((f) => f.includes('.tmp')),
      [],
      'no temporary report file is left',
    );
    assert.ok(!existsSync(join(runDir, 'report.html')));
    const meta = JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as { status: { kind: string } };
    assert.equal(meta.status.kind, 'completed');
    const rows = readCsv(join(runDir, 'samples.csv'));
    assert.ok(rows.length >= 10 * 5, `${rows.length} sample rows`);
    const rebuilt = await runCli('report', [runDir], 120_000);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.ok(existsSync(join(runDir, 'report.html')));
  });
}

test('SIGINT mid-case of a run with --allow-host-cc: the host congestion-control list is put back', async (t) => {
  if (!requirePrivileged(t)) return;
  const path = '/proc/sys/net/ipv4/tcp_allowed_congestion_control';
  const before = readFileSync(path, 'utf8').trim();
  const available = readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8').trim().split(/\s+/);
  const cc = available.find((x) => !before.split(/\s+/).includes(x));
  if (cc === undefined) return t.skip('every available congestion control is already allowed on this host');
  t.after(() => {
    if (readFileSync(path, 'utf8').trim() !== before) writeFileSync(path, before);
  });
  const out = mkdtempSync(join(tmpdir(), 'kab-sighcc-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const { child, done } = startCli('bench', [
    '--scenario',
    'handshake',
    '--profile',
    'lan',
    '--link',
    'tun',
    '--requests',
    '400',
    '--allow-host-cc',
    cc,
    '--out',
    out,
  ]);
  t.after(() => child.kill('SIGKILL'));
  const runDir = await waitForRunFolder(out, 30_000);
  await waitFor('10 samples', () => measuredRows(runDir) >= 10, 90_000);
  assert.ok(readFileSync(path, 'utf8').trim().split(/\s+/).includes(cc), 'extended during the run');
  child.kill('SIGINT');
  const r = await done;
  assert.equal(r.code, 130, r.stderr);
  assert.equal(readFileSync(path, 'utf8').trim(), before);
});

test('a second Ctrl-C exits at once and says how to remove what is left', async (t) => {
  if (!requirePrivileged(t)) return;
  const { child, done, runDir } = await startRun(t, 'kab-sig2-');
  t.after(() => runCli('clean', [], 60_000));
  await waitFor('10 samples', () => measuredRows(runDir) >= 10, 90_000);
  let said = '';
  child.stderr?.on('data', (d: Buffer | string) => (said += d.toString()));
  child.kill('SIGINT');
  // Two signals sent at once merge into one: the second goes once the first is being handled (the cleanup
  // of a tun link takes a good fraction of a second).
  await waitFor('the first SIGINT handled', () => said.includes('SIGINT: stopping'), 10_000);
  child.kill('SIGINT');
  const r = await done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /SIGINT again: exiting now, before the cleanup is done; run npm run clean \(as root\)/);
});

test('Ctrl-C while --list probes the tc backend (as root): its throw-away namespace and record are removed', async (t) => {
  if (!requirePrivileged(t)) return;
  mkdirSync('/run/netns', { recursive: true });
  let probeNs: string | null = null;
  const { child, done } = startCli('bench', ['--list']);
  t.after(() => child.kill('SIGKILL'));
  const watcher = watch('/run/netns', (_event, name) => {
    if (probeNs === null && name !== null && /^kab-[0-9a-f]{6}-p$/.test(name)) {
      probeNs = name;
      child.kill('SIGINT');
    }
  });
  t.after(() => watcher.close());
  const r = await done;
  assert.ok(probeNs !== null, 'the probe namespace was seen');
  assert.equal(r.code, 130, r.stderr);
  assert.doesNotMatch(r.stdout, /tc\s+(available|unavailable)/, 'interrupted mid-probe, before the list was printed');
  const id = /^kab-([0-9a-f]{6})-p$/.exec(probeNs)?.[1] ?? '';
  assert.ok(!existsSync(join('/run/netns', probeNs)), `${probeNs} is gone`);
  assert.ok(!existsSync(join('/run/kab', `${id}.json`)), 'its ownership record is gone');
});
