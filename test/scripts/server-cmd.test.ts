/**
 * `--server-cmd`: the user's own server behind the link. nginx (from Debian's packages) with and without
 * keep-alive, the harness's own server through the same path as a control, a server that never keeps a
 * connection, and servers that fail at start or mid-run.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsv } from '../../lib/csv-file.ts';
import type { CsvRow } from '../../report/load-run.ts';
import { requirePrivileged, requireProgram } from '../helpers/privileged.ts';
import { NGINX, nginxConf } from '../helpers/nginx.ts';
import { generateSelfSignedCert } from '../../servers/tls-cert.ts';
import { runCli } from '../helpers/run-cli.ts';

/** Files nginx serves for slow start (--paths). */
const SIZED: Array<[string, number]> = [
  ['16k.bin', 16_384],
  ['256k.bin', 262_144],
  ['1m.bin', 1_048_576],
];

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Run {
  dir: string;
  meta: Record<string, any>;
  summary: CsvRow[];
  summaryMd: string;
}

function readRun(out: string): Run {
  const dir = join(out, readlinkSync(join(out, 'latest')));
  return {
    dir,
    meta: JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Record<string, any>,
    summary: readCsv(join(dir, 'summary.csv')),
    summaryMd: readFileSync(join(dir, 'summary.md'), 'utf8'),
  };
}

function median(run: Run, conn_mode: string): number {
  const row = run.summary.find(
    (r) => r.metric === 'total_ms' && r.protocol === 'h1' && r.security === 'none' && r.conn_mode === conn_mode,
  );
  assert.ok(row, `a ${conn_mode} h1 cleartext row`);
  return Number(row.median);
}

/** The server under test's process (from meta.json) and its process group are gone after the run. */
function assertServerGone(run: Run): void {
  const entry = (run.meta.processes as Array<{ role: string; pid: number }>).find(
    (p) => p.role === 'server under test',
  );
  assert.ok(entry, 'meta.json records the server under test');
  assert.throws(() => process.kill(entry.pid, 0), 'its process is gone');
  assert.throws(() => process.kill(-entry.pid, 0), 'its process group is gone');
}

/** Processes whose full command line is exactly this. */
function processesRunning(commandLine: string): string[] {
  try {
    return execFileSync('pgrep', ['-fx', commandLine], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** `npm run bench -- --server-cmd <command> --path <path> …rest --out <out>`. */
function benchServerCmd(command: string, path: string, rest: string[], out: string) {
  return runCli('bench', ['--server-cmd', command, '--path', path, ...rest, '--out', out], 240_000);
}

const WAN = ['--link', 'tun', '--profile', 'wan', '--requests', '12'];

/** A folder for nginx's config, temp folders and the files it serves. */
function nginxDir(t: TestContext): string {
  const dir = tempDir(t, 'kab-nginx-');
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  // nginx's workers run as an unprivileged user: the files and the folders above them must be readable.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'files'), { mode: 0o755 });
  for (const [name, size] of SIZED) writeFileSync(join(dir, 'files', name), Buffer.alloc(size, 120));
  return dir;
}

test('nginx on the tun link: keep-alive saves one RTT; keepalive_timeout 0 is "no reuse" and compare exits 1', async (t) => {
  if (!requirePrivileged(t) || !requireProgram(t, NGINX, 'nginx-light')) return;
  const dir = nginxDir(t);
  const runNginx = async (keepalive: string, out: string): Promise<Run> => {
    const r = await benchServerCmd(
      `${NGINX} -c ${nginxConf(dir, keepalive)}`,
      '/small',
      ['--server-port', '8080', '--server-version-cmd', `${NGINX} -v`, ...WAN, '--scenario', 'handshake,policy'],
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /server_close: skipped, the server under test has no route after which it closes/);
    return readRun(out);
  };
  const out = join(dir, 'results');
  const keep = await runNginx('3s', out);
  assert.match(keep.meta.server_under_test.version, /nginx\/\d/);
  assert.deepEqual(keep.meta.server_under_test.small, { path: '/small', size_bytes: 100 });
  assert.match(keep.summaryMd, /Server under test: nginx version: nginx\/\d/);
  const rtt = Number(keep.summary.find((r) => r.metric === 'total_ms')?.rtt_ms_calibrated);
  const saving_rtt = (median(keep, 'new') - median(keep, 'reused')) / rtt;
  assert.ok(saving_rtt > 0.8 && saving_rtt < 1.3, `keep-alive saves the TCP handshake, 1 RTT: got ${saving_rtt}`);
  assert.match(
    keep.summaryMd,
    /\| C1 [^|]*\| \*\*confirmed\*\* \(1 case, n ≥ \d+ requests each; (strong evidence|inconclusive)\) \|/,
  );
  // Idle-timeout discovery: keepalive_timeout 3s, seen as the server's FIN on connections left idle.
  const idle = readCsv(join(keep.dir, 'policy.csv')).filter((r) => r.part === 'idle');
  assert.ok(idle.length >= 3 && idle.every((r) => r.outcome === 'closed'));
  for (const r of idle)
    assert.ok(Math.abs(Number(r.idle_close_ms) - 3_000) < 500, `closed after ${r.idle_close_ms} ms`);
  assert.match(
    keep.summaryMd,
    /\| C7 [^|]*\| \*\*confirmed\*\* \(n = \d+ idle connections?, all closed; (strong evidence|inconclusive)\) \| the server closes idle connections after (2\.9\d|3\.0\d) s/,
  );
  const report = readFileSync(join(keep.dir, 'report.html'), 'utf8');
  assert.match(report, /Server under test: <strong>nginx version: nginx\/\d/);

  // Slow start on nginx's own files: cold, warm and idle on the sizes it serves.
  const ss = await benchServerCmd(
    `${NGINX} -c ${nginxConf(dir, '3s')}`,
    '/small',
    [
      '--server-port',
      '8080',
      '--paths',
      SIZED.map(([name]) => `/files/${name}`).join(','),
      '--scenario',
      'slowstart',
      '--quick',
      '--link',
      'tun',
      '--profile',
      'wan',
    ],
    join(dir, 'ss'),
  );
  assert.equal(ss.code, 0, ss.stderr);
  const slow = readRun(join(dir, 'ss'));
  assert.deepEqual(
    slow.meta.server_under_test.sized.map((p: { size_bytes: number }) => p.size_bytes),
    SIZED.map(([, size]) => size),
  );
  const sizes = new Set(slow.summary.filter((r) => r.scenario === 'slowstart').map((r) => Number(r.size_bytes)));
  for (const [, size] of SIZED) assert.ok(sizes.has(size), `slow start measured ${size} B`);
  const cold = slow.summary.find(
    (r) =>
      r.metric === 'total_ms' &&
      r.conn_mode === 'new' &&
      r.size_bytes === '1048576' &&
      r.variant?.includes('part=size'),
  );
  const warm = slow.summary.find(
    (r) => r.metric === 'total_ms' && r.variant?.includes('state=warm') && r.size_bytes === '1048576',
  );
  assert.ok(cold && warm, 'cold and warm 1 MiB cases');
  assert.ok(Number(warm.median) < Number(cold.median), `warm ${warm.median} ms < cold ${cold.median} ms`);
  assert.match(
    slow.summaryMd,
    /\| C2 [^|]*\| (\*\*confirmed\*\*|depends)[^|]* \(n ≥ \d+ requests a case, \d+ cold-vs-warm and \d+ idle-vs-warm comparisons?; (strong evidence|inconclusive)\) \|/,
  );

  const off = await runNginx('0', out);
  assert.match(
    off.summaryMd,
    /\| C1 [^|]*\| depends: no reuse: the server under test closed the connection after every response/,
  );
  const gate = await runCli('compare', [keep.dir, off.dir, '--out', join(dir, 'compare')], 120_000);
  assert.equal(gate.code, 1, gate.stdout + gate.stderr);
  const said = gate.stdout + gate.stderr;
  assert.match(said, /gate: fail \(exit 1\)/);
  assert.match(said, /failures: handshake\/protocol=h1\/security=none\/conn_mode=reused\/size_bytes=100/);
  assertServerGone(keep);
  assertServerGone(off);
});

test('nginx behind the harness LB (--lb-idle-timeout): the race around whichever idle timeout fires first', async (t) => {
  if (!requirePrivileged(t) || !requireProgram(t, NGINX, 'nginx-light')) return;
  const dir = nginxDir(t);
  const race = async (lb: string, out: string): Promise<{ rows: CsvRow[]; run: Run; rtt_ms: number }> => {
    const r = await benchServerCmd(
      `${NGINX} -c ${nginxConf(dir, '3s')}`,
      '/small',
      ['--server-port', '8080', '--lb-idle-timeout', lb, '--scenario', 'policy', '--quick', ...WAN.slice(0, 4)],
      join(dir, out),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /policy LB race: 20 lanes × 1 idle gaps around/);
    const run = readRun(join(dir, out));
    const rows = readCsv(join(run.dir, 'policy.csv')).filter((x) => x.part === 'lb_race');
    assert.equal(rows.length, 20, 'one row per lane');
    const rtt_ms = Number(rows[0]?.rtt_ms_calibrated);
    assert.ok(rtt_ms > 45 && rtt_ms < 60, `wan RTT ${rtt_ms}`);
    // Well before the first timeout the LB reuses its pooled connection; well after it, it opens a new one.
    for (const x of rows) {
      const gap = Number(x.gap_ms);
      if (gap < -(rtt_ms + 10)) assert.deepEqual([x.outcome, x.upstream_reused], ['ok', '1'], `gap ${gap} ms`);
      if (gap > 10) assert.deepEqual([x.outcome, x.upstream_reused], ['ok', '0'], `gap ${gap} ms`);
    }
    assertServerGone(run);
    return { rows, run, rtt_ms };
  };
  // nginx closes first (3 s < LB 5 s): failures, if a gap hits the race, only in the last RTT before its close.
  const late = await race('5s', 'late');
  for (const x of late.rows) {
    assert.equal(x.x_ms, '5000');
    assert.ok(Math.abs(Number(x.y_ms) - 3_000) < 500, `server's idle close ${x.y_ms} ms`);
    assert.ok(['ok', 'http_502'].includes(x.outcome ?? ''), `outcome ${x.outcome}: ${x.error}`);
    if (x.outcome !== 'ok')
      assert.ok(Number(x.gap_ms) > -(late.rtt_ms + 10) && Number(x.gap_ms) < 10, `a failure at gap ${x.gap_ms} ms`);
  }
  assert.match(
    late.run.summaryMd,
    /\| C8 [^|]*\| (\*\*refuted\*\* \(n = \d+ lanes; strong evidence\)|depends: the server closes first[^|]*) \| LB 5 s, server 3(\.\d+)? s: \d+ per 1 000 requests failed[^|]*Raise the server's idle timeout above 5 s/,
  );
  // The LB closes first (2 s < nginx's 3 s): it drops its idle connection itself, and nothing fails.
  const early = await race('2s', 'early');
  assert.ok(early.rows.every((x) => x.outcome === 'ok' && x.x_ms === '2000'));
  assert.match(
    early.run.summaryMd,
    /\| C8 [^|]*\| depends: the LB closes first here[^|]*\| LB 2 s, server 3(\.\d+)? s: 0 per 1 000/,
  );
});

test('hol on your server: pipelining answered or not, a slow route blocks those behind it, pages from --paths', async (t) => {
  if (
    !requirePrivileged(t) ||
    !requireProgram(t, NGINX, 'nginx-light') ||
    !requireProgram(t, '/usr/bin/python3', 'python3')
  )
    return;
  const dir = nginxDir(t);
  const HOL = ['--scenario', 'hol', '--quick', ...WAN.slice(0, 4)];
  const skipsOf = (run: Run): string[] =>
    (run.meta.scenario_skips as Array<{ part?: string }>).map((x) => x.part ?? '(whole)');
  const pipelining = (run: Run): CsvRow[] => readCsv(join(run.dir, 'hol-pipelining.csv'));

  // The harness's server through --server-cmd, with its slow route named: C4 as with the built-in path.
  const own = await benchServerCmd(
    `${process.execPath} --import tsx scripts/serve.ts --listen {host}:{port} --keep-alive-timeout-ms 600000`,
    '/bytes/1000',
    ['--slow-path', '/bytes/1000?delay_ms=200', '--paths', '/bytes/100000,/bytes/10000', ...HOL],
    join(dir, 'own'),
  );
  assert.equal(own.code, 0, own.stderr);
  assert.match(
    own.stderr,
    /hol app: unblocked h1 fast [\d.]+ ms, slow [\d.]+ ms; the slow response waits \d+ ms \(measured\)/,
  );
  const ownRun = readRun(join(dir, 'own'));
  assert.deepEqual(skipsOf(ownRun), ['h2 modes']);
  const delays = readCsv(join(ownRun.dir, 'hol-app.csv'))
    .filter((r) => r.req === 'slow')
    .map((r) => Number(r.server_delay_ms));
  assert.ok(delays.length > 0 && delays.every((d) => d >= 195 && d <= 215), `measured delays ${delays.join(', ')} ms`);
  assert.ok(pipelining(ownRun).every((r) => r.answer === 'in_turn'));
  assert.match(
    ownRun.summaryMd,
    /\| C4 [^|]*\| \*\*confirmed\*\* \(n = \d+ batch(es)? \(≥ \d+ fast responses a mode in \d+ batch(es)?\)(; \d+ pipelined requests in the check)?; (strong evidence|inconclusive)\) \| behind a (19\d|2\d\d) ms response, \d+\/\d+ pipelined/,
  );
  assert.match(ownRun.summaryMd, /\| C5 [^|]*\| depends: needs HTTP\/2 and HTTP\/1.1 × 6 both/);

  // nginx: answers pipelining; no slow route, so no app part; its own files make the page.
  const ng = await benchServerCmd(
    `${NGINX} -c ${nginxConf(dir, '3s')}`,
    '/small',
    ['--server-port', '8080', '--paths', SIZED.map(([name]) => `/files/${name}`).join(','), ...HOL],
    join(dir, 'ng'),
  );
  assert.equal(ng.code, 0, ng.stderr);
  assert.match(ng.stderr, /hol app: skipped, needs a route for a slow response \(--slow-path\)/);
  const ngRun = readRun(join(dir, 'ng'));
  assert.deepEqual(skipsOf(ngRun).sort(), ['app', 'h2 modes']);
  const ngPipe = pipelining(ngRun);
  assert.equal(ngPipe.length, 10);
  assert.ok(ngPipe.every((r) => r.answer === 'in_turn' && r.body_bytes === r.expected_bytes));
  const pages = readCsv(join(ngRun.dir, 'hol-pages.csv')).filter((r) => r.warmup === '0');
  assert.deepEqual([...new Set(pages.map((r) => `${r.mode}@${r.loss_pct}`))].sort(), ['h1_6conn@0', 'h1_6conn@2']);
  assert.ok(pages.every((r) => Number(r.page_ms) > 0 && r.errors === '0'));
  assert.match(
    ngRun.summaryMd,
    /\| C4 [^|]*\| depends: the server answers pipelined requests in turn, but without a slow route [^|]* \(\d+ pipelined requests in the check; inconclusive\) \|/,
  );
  const report = readFileSync(join(ngRun.dir, 'report.html'), 'utf8');
  assert.match(report, /The app part was skipped \(wan\): needs a route for a slow response \(--slow-path\)/);

  // python3 -m http.server (HTTP/1.0) closes after each response: pipelining gets one answer.
  const py = await benchServerCmd(
    `python3 -m http.server {port} --bind {host} --directory ${join(dir, 'files')}`,
    '/16k.bin',
    ['--paths', '/256k.bin', ...HOL],
    join(dir, 'py'),
  );
  assert.equal(py.code, 0, py.stderr);
  const pyRun = readRun(join(dir, 'py'));
  // It closes with the other requests unread, so its kernel may reset the connection and the first answer is
  // lost with it: at most the first is answered, never one after it.
  const pyAnswers = pipelining(pyRun).map((r) => r.answer);
  assert.equal(pyAnswers.length, 10);
  assert.ok(['in_turn', 'failed'].includes(pyAnswers[0] ?? ''));
  assert.deepEqual(pyAnswers.slice(1), Array<string>(9).fill('failed'));
  assert.match(
    pyRun.summaryMd,
    /\| C4 [^|]*\| depends: the server under test does not answer pipelined requests in turn \(10 pipelined requests in the check; strong evidence\) \| pipelining check: [01] of 10/,
  );
  for (const run of [ownRun, ngRun, pyRun]) assertServerGone(run);
});

test("cost on your server: nginx's process tree per idle connection and CPU per request, read from /proc", async (t) => {
  if (!requirePrivileged(t) || !requireProgram(t, NGINX, 'nginx-light')) return;
  const dir = nginxDir(t);
  const r = await benchServerCmd(
    `${NGINX} -c ${nginxConf(dir, '60s')}`,
    '/small',
    ['--server-port', '8080', '--scenario', 'cost', '--quick', '--link', 'tun'],
    join(dir, 'cost'),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /cost fdlimit: skipped, needs a server whose settings the harness sets/);
  const run = readRun(join(dir, 'cost'));
  const rows = readCsv(join(run.dir, 'cost.csv'));
  const metric = (part: string, name: string, keep_alive?: string): number[] =>
    rows
      .filter((x) => x.part === part && x.metric === name && (keep_alive === undefined || x.keep_alive === keep_alive))
      .map((x) => Number(x.value));
  assert.deepEqual(metric('idle', 'crowd_open'), [500]);
  // nginx's master and its one worker; the worker holds one socket per idle connection.
  assert.deepEqual(metric('idle', 'server_processes'), [2]);
  const fds = metric('idle', 'fds_per_conn')[0] ?? 0;
  assert.ok(fds > 0.95 && fds < 1.1, `${fds} FDs per idle connection`);
  const rss = metric('idle', 'rss_per_conn_bytes')[0] ?? -1;
  assert.ok(rss >= 0 && rss < 64 * 1024, `${rss} B RSS per idle connection`);
  for (const ka of ['1', '0']) {
    const cpu = metric('churn', 'server_cpu_per_req_us', ka);
    assert.ok(cpu.length === 1 && cpu[0]! >= 0, `server CPU per request with keep_alive=${ka}: ${cpu}`);
    assert.deepEqual(metric('churn', 'errors', ka), [0]);
  }
  // One crowd and one run a case (--quick): no CI of the memory per connection nor of the CPU ratio.
  assert.match(
    run.summaryMd,
    /\| C6 [^|]*\| [^|]*\(n = 1 crowd of 500 idle connections a protocol; inconclusive\) \| h1 at 500 idle: 1\.0\d FD, [\d.]+ KiB RSS/,
  );
  assert.match(
    run.summaryMd,
    /\| C11 [^|]*\| [^|]*\(n = \d+ runs? a side, \d+ rate × profile pairs?; inconclusive\) \|/,
  );
  assertServerGone(run);
});

test("policy over TLS and HTTP/2: nginx's idle timeout and request limit, whatever it speaks", async (t) => {
  if (!requirePrivileged(t) || !requireProgram(t, NGINX, 'nginx-light')) return;
  const dir = nginxDir(t);
  const cert = await generateSelfSignedCert();
  writeFileSync(join(dir, 'cert.pem'), cert.cert_pem, { mode: 0o644 });
  writeFileSync(join(dir, 'key.pem'), cert.key_pem, { mode: 0o644 });
  const base = readFileSync(nginxConf(dir, '3s'), 'utf8');
  const conf = join(dir, 'nginx-tls.conf');
  writeFileSync(
    conf,
    base
      .replace(
        'keepalive_timeout 3s;',
        `keepalive_timeout 3s;\n  keepalive_requests 5;\n  ssl_certificate ${dir}/cert.pem;\n  ssl_certificate_key ${dir}/key.pem;`,
      )
      .replace('listen 8080;', 'listen 8443 ssl;\n    listen 8444 http2;\n    listen 8445 ssl http2;'),
  );
  const kinds: Array<[string, string, string[]]> = [
    ['8443', 'h1', ['--tls', '--ca', join(dir, 'cert.pem')]],
    ['8444', 'h2', []],
    ['8445', 'h2', ['--tls', '--ca', join(dir, 'cert.pem')]],
  ];
  for (const [port, protocol, tls] of kinds) {
    const out = join(dir, `policy-${port}`);
    const r = await benchServerCmd(
      `${NGINX} -c ${conf}`,
      '/small',
      ['--server-port', port, '--protocol', protocol, ...tls, '--scenario', 'policy', '--quick', '--link', 'tun'],
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    const run = readRun(out);
    const rows = readCsv(join(run.dir, 'policy.csv'));
    const idle = rows.filter((x) => x.part === 'idle');
    assert.equal(idle.length, 3);
    for (const x of idle) {
      assert.deepEqual([x.protocol, x.tls, x.outcome], [protocol, tls.length ? '1' : '0', 'closed']);
      assert.ok(Math.abs(Number(x.idle_close_ms) - 3_000) < 500, `${port}: closed after ${x.idle_close_ms} ms`);
    }
    const max = rows.find((x) => x.part === 'max_requests');
    assert.deepEqual([max?.requests, max?.outcome], ['5', 'closed_after'], `${port}: keepalive_requests 5`);
    const skipped = ((run.meta.scenario_skips ?? []) as Array<{ part?: string }>).map((x) => x.part);
    if (protocol === 'h2') assert.deepEqual(skipped, ['connection_close'], 'HTTP/2 has no Connection: close');
    else assert.equal(rows.find((x) => x.part === 'connection_close')?.outcome, 'honoured');
    assert.match(
      run.summaryMd,
      /\| C7 [^|]*\| \*\*confirmed\*\* \(n = \d+ idle connections?, all closed; (strong evidence|inconclusive)\) \| the server closes idle connections after (2\.9\d|3\.0\d) s/,
    );
    assertServerGone(run);
  }
});

test('control: the harness server started through --server-cmd measures what the built-in path measures', async (t) => {
  if (!requirePrivileged(t)) return;
  const dir = tempDir(t, 'kab-control-');
  const builtIn = await runCli(
    'bench',
    [...WAN, '--scenario', 'handshake', '--quick', '--out', join(dir, 'a')],
    240_000,
  );
  assert.equal(builtIn.code, 0, builtIn.stderr);
  const viaCmd = await benchServerCmd(
    `${process.execPath} --import tsx scripts/serve.ts --listen {host}:{port} --keep-alive-timeout-ms 600000`,
    '/bytes/100',
    [...WAN, '--scenario', 'handshake', '--quick'],
    join(dir, 'b'),
  );
  assert.equal(viaCmd.code, 0, viaCmd.stderr);
  const a = readRun(join(dir, 'a'));
  const b = readRun(join(dir, 'b'));
  for (const mode of ['new', 'reused']) {
    const [x, y] = [median(a, mode), median(b, mode)];
    // Within 5 % (or 2 ms, the noise of a 12-request median at 50 ms RTT on this machine) of each other.
    assert.ok(Math.abs(x - y) <= Math.max(0.05 * x, 2), `${mode}: built-in ${x} ms vs --server-cmd ${y} ms`);
  }
  assertServerGone(b);
});

const LOOPBACK = ['--scenario', 'handshake', '--quick', '--link', 'none', '--profile', 'loopback'];

test('a server that keeps no connection (python3 http.server, HTTP/1.0) comes out as "no reuse"', async (t) => {
  if (!requireProgram(t, '/usr/bin/python3', 'python3')) return;
  const dir = tempDir(t, 'kab-py-');
  writeFileSync(join(dir, 'small.txt'), 'hello world');
  const r = await benchServerCmd(
    `python3 -m http.server {port} --bind {host} --directory ${dir}`,
    '/small.txt',
    [...LOOPBACK, '--requests', '5'],
    join(dir, 'results'),
  );
  assert.equal(r.code, 0, r.stderr);
  const run = readRun(join(dir, 'results'));
  assert.equal(run.meta.server_under_test.small.size_bytes, 11);
  assert.match(run.summaryMd, /\| C1 [^|]*\| depends: no reuse: .*every request paid a new connection \(5\/5 attempts/);
  assert.match(run.summaryMd, /\| no reuse: 0\/5 requests could reuse a connection \|/);
  assertServerGone(run);
});

test('a server command that exits at once, or never listens, is one clear line and leaves nothing', async (t) => {
  const dir = tempDir(t, 'kab-bad-');
  const exits = await runCli(
    'bench',
    ['--server-cmd', `sh -c 'echo cannot bind >&2; exit 3'`, ...LOOPBACK, '--out', join(dir, 'a')],
    60_000,
  );
  assert.equal(exits.code, 1);
  assert.match(
    exits.stderr,
    /^error: the server command \(sh -c .*\) exited \(code 3\) before port \d+ listened; its stderr ends:\n {2}\| cannot bind$/m,
  );
  const silent = await runCli(
    'bench',
    ['--server-cmd', `sleep 29.5`, '--server-start-timeout', '1', ...LOOPBACK, '--out', join(dir, 'b')],
    60_000,
  );
  assert.equal(silent.code, 1);
  assert.match(
    silent.stderr,
    /^error: the server command \(sleep 29\.5\) did not listen on port \d+ within 1 s .*--server-port/m,
  );
  assert.deepEqual(processesRunning('sleep 29.5'), [], 'the command that never listened was stopped');
});

test('a server that crashes mid-run ends the run with its exit, its samples kept and nothing left', async (t) => {
  const dir = tempDir(t, 'kab-crash-');
  const script = join(dir, 'crash.js');
  writeFileSync(
    script,
    `let n = 0;
require('http').createServer((q, s) => {
  s.end('ok');
  if (++n === 12) { console.error('crashing on purpose'); setTimeout(() => process.exit(7), 5); }
}).listen(Number(process.env.PORT), process.env.HOST);
`,
  );
  const r = await runCli(
    'bench',
    ['--server-cmd', `${process.execPath} ${script}`, ...LOOPBACK, '--requests', '20', '--out', join(dir, 'results')],
    120_000,
  );
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /^error: the server under test exited mid-run \(code 7\); its stderr ends: crashing on purpose$/m,
  );
  const out = join(dir, 'results');
  const runDir = join(out, readlinkSync(join(out, 'latest')));
  const meta = JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as Record<string, any>;
  assert.equal(meta.status.kind, 'errored');
  const samples = readCsv(join(runDir, 'samples.csv'));
  assert.ok(samples.filter((s) => s.error === '').length >= 10, 'the requests served before the crash are kept');
  assertServerGone({ dir: runDir, meta, summary: [], summaryMd: '' });
});
