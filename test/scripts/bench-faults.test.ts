/**
 * Faults and bad conditions: a server or the link process dying mid-case, a results folder that cannot take
 * the run, two runs at once, no root. Each ends cleanly — errors recorded, nothing left behind, nothing hangs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { requirePrivileged } from '../helpers/privileged.ts';
import { REPO, runCli, startCli } from '../helpers/run-cli.ts';
import { readCsv } from '../../lib/csv-file.ts';
import { leftovers, waitForRunFolder } from '../helpers/run-state.ts';

async function waitFor(what: string, cond: () => boolean, timeout_ms: number): Promise<void> {
  const until = Date.now() + timeout_ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function rowsIn(runDir: string): number {
  const p = join(runDir, 'samples.csv');
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n').length - 2 : 0;
}

async function startRun(out: string, extra: string[] = []) {
  const started = startCli('bench', [
    '--scenario',
    'handshake',
    '--profile',
    'lan',
    '--link',
    'tun',
    '--requests',
    '60',
    '--out',
    out,
    ...extra,
  ]);
  const runDir = await waitForRunFolder(out, 30_000);
  const meta = () => JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as Record<string, any>;
  return { ...started, runDir, meta };
}

test('a server killed mid-case: its cases record errors and stop, the run finishes, nothing is left', async (t) => {
  if (!requirePrivileged(t)) return;
  const out = mkdtempSync(join(tmpdir(), 'kab-fault-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const run = await startRun(out);
  t.after(() => run.child.kill('SIGKILL'));
  await waitFor('200 samples', () => rowsIn(run.runDir) >= 200, 120_000);
  const servers = (run.meta().processes as Array<{ role: string; pid: number }>).filter((p) => p.role === 'h1 server');
  const victim = servers.at(-1); // the first h1 server is the calibration server; the last serves the h1 cleartext cases
  assert.ok(victim, 'an h1 server was started');
  process.kill(victim.pid, 'SIGKILL');
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /requests in a row failed .*stopping this case/);
  const rows = readCsv(join(run.runDir, 'samples.csv'));
  const failed = rows.filter((x) => x.protocol === 'h1' && x.security === 'none' && x.error !== '');
  assert.ok(failed.length >= 10, `${failed.length} error rows for the killed server's cases`);
  assert.ok(
    rows.some((x) => x.security === 'tls13' && x.error === '' && x.warmup === '0'),
    'the other cases went on',
  );
  assert.deepEqual(leftovers(run.meta().run_id), []);
});

test('the link process killed mid-case: the run ends by itself with the samples kept and nothing left', async (t) => {
  if (!requirePrivileged(t)) return;
  const out = mkdtempSync(join(tmpdir(), 'kab-fault-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const run = await startRun(out);
  t.after(() => run.child.kill('SIGKILL'));
  await waitFor('100 samples', () => rowsIn(run.runDir) >= 100, 120_000);
  const runId = run.meta().run_id as string;
  const delayLine = execFileSync('ps', ['-eo', 'pid=,args='])
    .toString()
    .split('\n')
    .find((l) => l.includes('tun-delay-line') && l.includes(`kab${runId}`));
  assert.ok(delayLine, 'the delay line runs');
  process.kill(Number(delayLine.trim().split(/\s+/)[0]), 'SIGKILL');
  const r = await run.done;
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  if (r.code === 1) assert.match(r.stderr.trim().split('\n').at(-1) ?? '', /^error: /);
  assert.ok(rowsIn(run.runDir) >= 100, 'samples measured before the fault are kept');
  assert.deepEqual(leftovers(runId), []);
});

test('a results folder that cannot take the run fails before measuring, in one line', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'kab-out-'));
  let mounted: string | null = null;
  t.after(() => {
    if (mounted) execFileSync('umount', [mounted]);
    rmSync(base, { recursive: true, force: true });
  });
  const file = join(base, 'a-file');
  writeFileSync(file, 'x');
  const notDir = await runCli(
    'bench',
    ['--scenario', 'handshake', '--link', 'none', '--profile', 'loopback', '--out', join(file, 'sub')],
    60_000,
  );
  assert.equal(notDir.code, 2, notDir.stderr);
  assert.match(notDir.stderr, /^error: cannot create results folder .*ENOTDIR/);

  if (!requirePrivileged(t)) return;
  const small = join(base, 'small');
  mkdirSync(small);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
  mounted = small;
  const full = await runCli(
    'bench',
    ['--scenario', 'handshake', '--link', 'none', '--profile', 'loopback', '--out', small],
    60_000,
  );
  assert.equal(full.code, 2, full.stderr);
  assert.match(full.stderr, /^error: results folder .* has only 1\.0 MB free/);
  assert.equal(full.stderr.trim().split('\n').length, 1);
  assert.deepEqual(readdirSync(small), [], 'nothing measured, nothing written');
});

test('two runs at once get separate namespaces and both complete', async (t) => {
  if (!requirePrivileged(t)) return;
  const outs = [mkdtempSync(join(tmpdir(), 'kab-two-')), mkdtempSync(join(tmpdir(), 'kab-two-'))];
  t.after(() => outs.forEach((o) => rmSync(o, { recursive: true, force: true })));
  const args = (out: string) => [
    '--scenario',
    'handshake',
    '--link',
    'tun',
    '--profile',
    'lan',
    '--requests',
    '5',
    '--out',
    out,
  ];
  const [a, b] = await Promise.all(outs.map((o) => runCli('bench', args(o), 240_000)));
  assert.equal(a?.code, 0, a?.stderr);
  assert.equal(b?.code, 0, b?.stderr);
  const ids = outs.map((o) => JSON.parse(readFileSync(join(o, 'latest', 'meta.json'), 'utf8')).run_id as string);
  assert.notEqual(ids[0], ids[1]);
  for (const [i, o] of outs.entries()) {
    const rows = readCsv(join(o, 'latest', 'samples.csv'));
    assert.ok(rows.length > 0 && rows.every((r) => r.run_id === ids[i]), 'each run wrote only its own rows');
    assert.deepEqual(leftovers(ids[i] ?? ''), []);
  }
});

test('without root: auto falls back to the proxy link and says why; --link tun says what is missing', async (t) => {
  if (!requirePrivileged(t)) return; // needs root to become another user
  try {
    execFileSync(
      'setpriv',
      [
        '--reuid=nobody',
        '--regid=nogroup',
        '--clear-groups',
        process.execPath,
        '-e',
        `require('fs').accessSync(${JSON.stringify(join(REPO, 'node_modules', 'tsx', 'package.json'))})`,
      ],
      { stdio: 'ignore' },
    );
  } catch {
    t.skip(`user nobody cannot read this checkout (${REPO}): the non-root run cannot be tried here`);
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'kab-user-'));
  chmodSync(out, 0o777);
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const asNobody = (args: string[]) =>
    execFileSync(
      'setpriv',
      [
        '--reuid=nobody',
        '--regid=nogroup',
        '--clear-groups',
        process.execPath,
        '--import',
        'tsx',
        'scripts/bench.ts',
        ...args,
      ],
      {
        cwd: REPO,
        env: { ...process.env, HOME: out },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  /** A run as nobody that must stop at its flags: its stderr (exit 2 asserted). */
  const refusedAsNobody = (args: string[]): string => {
    try {
      asNobody(args);
    } catch (e) {
      const err = e as { status: number; stderr: string };
      assert.equal(err.status, 2, err.stderr);
      return err.stderr;
    }
    assert.fail(`bench ${args.join(' ')} as nobody did not stop`);
  };
  const tunErr = refusedAsNobody(['--link', 'tun', '--profile', 'lan', '--out', out]);
  assert.match(
    tunErr,
    /^error: --link tun cannot run here: not root .*; it needs root, \/dev\/net\/tun and koffi \(glibc\): run with sudo, or use --link proxy/,
  );
  assert.equal(tunErr.trim().split('\n').length, 1);

  const before = readdirSync(out);
  assert.equal(
    refusedAsNobody(['--link', 'proxy', '--allow-host-cc', 'cubic', '--out', out]),
    "error: --allow-host-cc changes the host's net.ipv4.tcp_allowed_congestion_control: it needs root (run with sudo)\n",
  );
  assert.deepEqual(readdirSync(out), before, 'refused before any run folder (none claims a change)');

  const auto = execFileSync(
    'setpriv',
    [
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
      process.execPath,
      '--import',
      'tsx',
      'scripts/bench.ts',
      '--scenario',
      'handshake',
      '--profile',
      'lan',
      '--requests',
      '3',
      '--out',
      out,
    ],
    { cwd: REPO, env: { ...process.env, HOME: out }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  assert.match(auto, /run folder:/);
  const rows = readCsv(join(out, 'latest', 'samples.csv'));
  assert.ok(
    rows.length > 0 &&
      rows.every((r) => r.link_backend === 'proxy' && (r.link_caveat ?? '').includes('no TCP slow start')),
  );
});

test('a disk that fills mid-run: one line, exit 1, nothing left behind, meta.json parses and says errored', async (t) => {
  if (!requirePrivileged(t)) return;
  const base = mkdtempSync(join(tmpdir(), 'kab-full-'));
  const out = join(base, 'tmpfs');
  mkdirSync(out);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', out]);
  t.after(() => {
    execFileSync('umount', ['-l', out]);
    rmSync(base, { recursive: true, force: true });
  });
  const run = await startRun(out, ['--requests', '300']);
  t.after(() => run.child.kill('SIGKILL'));
  await waitFor('20 samples', () => rowsIn(run.runDir) >= 20, 120_000);
  // Another writer takes every byte left.
  const filler = openSync(join(out, 'filler'), 'w');
  const block = Buffer.alloc(1024 * 1024);
  try {
    for (;;) writeSync(filler, block);
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
  }
  try {
    for (;;) writeSync(filler, block, 0, 512);
  } catch {
    // the last partial block too
  } finally {
    closeSync(filler);
  }
  const r = await run.done;
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines.at(-1) ?? '', /^error: .*ENOSPC/);
  assert.equal(lines.filter((l) => l.startsWith('error: ')).length, 1, r.stderr);
  const meta = JSON.parse(readFileSync(join(run.runDir, 'meta.json'), 'utf8')) as Record<string, any>;
  assert.equal(meta.status.kind, 'errored');
  assert.match(meta.status.error, /ENOSPC/);
  assert.deepEqual(leftovers(meta.run_id as string), []);
  assert.deepEqual(
    readdirSync(run.runDir).filter((f) => f.startsWith('.')),
    [],
    'no temporary file or space reserve left in the run folder',
  );
  const rows = readCsv(join(run.runDir, 'samples.csv'));
  assert.ok(rows.length >= 20, `${rows.length} samples kept`);
  assert.ok(readFileSync(join(run.runDir, 'samples.csv'), 'utf8').endsWith('\n'), 'no torn last row');
});

test('results/latest: not repointed by a run stopped by bad usage; a file named latest is never replaced', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'kab-latest-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  mkdirSync(join(out, 'older-run'));
  symlinkSync('older-run', join(out, 'latest'));
  // --cc needs a link with namespaces: found only once the link is open, after the run folder exists.
  const bad = await runCli(
    'bench',
    ['--scenario', 'handshake', '--link', 'proxy', '--profile', 'lan', '--cc', 'reno', '--out', out],
    60_000,
  );
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /^error: --cc and --slow-start-after-idle set namespace sysctls/m);
  assert.equal(readlinkSync(join(out, 'latest')), 'older-run');

  rmSync(join(out, 'latest'));
  writeFileSync(join(out, 'latest'), 'my notes');
  const file = await runCli(
    'bench',
    ['--scenario', 'handshake', '--link', 'none', '--profile', 'loopback', '--out', out],
    60_000,
  );
  assert.equal(file.code, 2, file.stderr);
  assert.match(file.stderr, /^error: .*latest is a file, not the harness's link to the newest run/);
  assert.equal(readFileSync(join(out, 'latest'), 'utf8'), 'my notes');
});
