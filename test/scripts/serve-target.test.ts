import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { readCsv } from '../../lib/csv-file.ts';

test('serve + bench --target: the handshake cases the remote server can answer, over the real path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kab-remote-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const certPath = join(dir, 'cert.pem');
  const serve = startCli('serve', ['--listen', '127.0.0.1:0', '--tls', '--cert-out', certPath]);
  t.after(() => serve.child.kill('SIGKILL'));
  let out = '';
  serve.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const until = Date.now() + 30_000;
  while (!/listening on (https:\/\/127\.0\.0\.1:\d+)/.test(out)) {
    if (Date.now() > until) throw new Error(`serve did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
  assert.match(out, /--target https:\/\/127\.0\.0\.1:\d+ --ca /, 'serve prints the client command');

  const r = await runCli(
    'bench',
    ['--scenario', 'handshake', '--target', url, '--ca', certPath, '--requests', '3', '--out', dir],
    120_000,
  );
  assert.equal(r.code, 0, r.stderr);
  const meta = JSON.parse(readFileSync(join(dir, 'latest', 'meta.json'), 'utf8')) as Record<string, any>;
  assert.equal(meta.link.backend, 'remote');
  assert.ok(meta.profiles[0].calibration.connect.n === 30, 'the real path is calibrated like any link');
  const rows = readCsv(join(dir, 'latest', 'samples.csv'));
  assert.ok(rows.length > 0);
  assert.ok(
    rows.every((x) => x.link_backend === 'remote' && x.protocol === 'h1' && x.security !== 'none'),
    'only h1 + TLS cases',
  );
  assert.deepEqual([...new Set(rows.map((x) => x.security))].sort(), ['tls12', 'tls13']);
  assert.ok(
    rows.every((x) => x.error === ''),
    rows.find((x) => x.error !== '')?.error,
  );

  serve.child.kill('SIGINT');
  const s = await serve.done;
  assert.equal(s.code, 0);
});

const BAD: Array<[string[], RegExp]> = [
  [['--target', 'ftp://example.test:21'], /--target must be http:\/\/ or https:\/\//],
  [['--target', 'not a url'], /is not a URL/],
  [['--target', 'http://127.0.0.1:1/path'], /only scheme:\/\/host:port/],
  [['--target', 'http://127.0.0.1:1', '--profile', 'wan'], /cannot be given a profile/],
  [['--ca', 'x.pem'], /--ca goes with --server-cmd or --target/],
  [['--server-cmd', 'x', '--target', 'http://127.0.0.1:1'], /choose one/],
  [['--server-port', '80'], /--server-port goes with --server-cmd/],
  [['--server-cmd', 'nginx', '--server-port', '0'], /--server-port must be a port number/],
  [['--server-cmd', 'nginx | tee x'], /--server-cmd: /],
  [['--server-cmd', 'nginx', '--ca', 'x.pem'], /add --tls/],
  [['--server-cmd', 'nginx', '--path', 'small'], /--path must be an absolute path/],
  [['--paths', '/a,/b'], /--paths goes with --server-cmd or --target/],
  [['--server-cmd', 'nginx', '--paths', ','], /--paths needs at least one path/],
  [['--server-cmd', 'nginx', '--paths', '/a,b'], /--paths must be an absolute path such as \/small, got "b"/],
  [['--server-cmd', 'nginx', '--server-start-timeout', '0'], /--server-start-timeout must be seconds/],
  [['--server-cmd', 'nginx', '--lb-idle-timeout', '11m'], /--lb-idle-timeout must be a duration from 100ms to 10m/],
  [['--server-cmd', 'nginx', '--scenario', 'handshake', '--lb-idle-timeout', '60s'], /add policy to --scenario/],
  [['--target', 'https://127.0.0.1:1', '--ca', '/nonexistent.pem'], /cannot read --ca/],
  [['--target', 'http://127.0.0.1:1', '--protocol', 'h3'], /--protocol must be h1 or h2/],
  [['--target', 'http://127.0.0.1:1', '--target-protocol', 'h2'], /--target-protocol is now --protocol/],
  // #20: numbers Number() would take, timers Node would turn into 1 ms, a scenario run twice, port 0.
  [['--timeout-ms', '2147483648'], /--timeout-ms must be a whole number from 1 to 600000/],
  [['--requests', '0x10'], /--requests must be a whole number from 1 to 1000000, got "0x10"/],
  [['--rtt', '1e22'], /--rtt must be a non-negative number \(ms\), got "1e22"/],
  [['--rtt', '0x10'], /--rtt must be a non-negative number/],
  [['--rtt', '120000'], /--rtt must be at most 60000 ms/],
  [['--rate', '1e30'], /--rate "1e30" is not a rate/],
  [['--rate', '100gbit'], /--rate must be at most 10 gbit/],
  [['--scenario', 'handshake,handshake'], /--scenario names handshake twice/],
  [['--target', 'http://127.0.0.1:0'], /--target needs a port from 1 to 65535/],
  [['--out', ''], /--out needs a folder \(e\.g\. --out results\), got an empty string/],
];
for (const [args, message] of BAD) {
  test(`bench ${args.join(' ')} → one line, exit 2`, async () => {
    const r = await runCli('bench', args, 60_000);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  });
}

test('serve: a malformed --listen is one line, exit 2', async () => {
  const r = await runCli('serve', ['--listen', 'nowhere'], 30_000);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: --listen must be addr:port/);
});

test('policy against --target: the remote server idle timeout over the real path (no emulated link)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kab-remote-policy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const serve = startCli('serve', ['--listen', '127.0.0.1:0', '--keep-alive-timeout-ms', '1000']);
  t.after(() => serve.child.kill('SIGKILL'));
  let out = '';
  serve.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const until = Date.now() + 30_000;
  while (!/listening on (http:\/\/127\.0\.0\.1:\d+)/.test(out)) {
    if (Date.now() > until) throw new Error(`serve did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
  const r = await runCli('bench', ['--scenario', 'policy', '--quick', '--target', url, '--out', dir], 120_000);
  assert.equal(r.code, 0, r.stderr);
  const idle = readCsv(join(dir, 'latest', 'policy.csv')).filter((x) => x.part === 'idle');
  assert.equal(idle.length, 3);
  // Node closes an idle connection keepAliveTimeout + 1 s after its last response.
  for (const x of idle)
    assert.ok(Math.abs(Number(x.idle_close_ms) - 2_000) < 300, `closed after ${x.idle_close_ms} ms`);
  const summary = readFileSync(join(dir, 'latest', 'summary.md'), 'utf8');
  assert.match(
    summary,
    /\| C7 [^|]*\| \*\*confirmed\*\* \(n = \d+ idle connections?, all closed; (strong evidence|inconclusive)\) \| the server closes idle connections after (1\.9\d|2\.0\d) s/,
  );
  serve.child.kill('SIGINT');
  assert.equal((await serve.done).code, 0);
});

test('an unreachable --target, or one that does not serve the route, ends the run at calibration: one error line, exit 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kab-unreachable-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r)); // a port nothing listens on
  const refused = await runCli('bench', [
    '--scenario',
    'handshake',
    '--target',
    `http://127.0.0.1:${port}`,
    '--out',
    dir,
  ]);
  assert.equal(refused.code, 2, refused.stderr);
  const lines = refused.stderr.trim().split('\n');
  assert.match(
    lines.at(-1) ?? '',
    new RegExp(
      `^error: --target http://127\\.0\\.0\\.1:${port} did not answer \\(3 requests in a row failed, the first: connect ECONNREFUSED`,
    ),
  );
  assert.equal(lines.filter((l) => l.startsWith('error:')).length, 1);
  assert.doesNotMatch(refused.stderr, /handshake h1/, 'no case was run');
  assert.ok(!existsSync(join(dir, 'latest')), 'a run stopped at calibration does not become results/latest');

  const notOurs = createHttpServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((r) => notOurs.listen(0, '127.0.0.1', r));
  t.after(() => notOurs.close());
  const url = `http://127.0.0.1:${(notOurs.address() as AddressInfo).port}`;
  const wrong = await runCli('bench', ['--scenario', 'handshake', '--target', url, '--out', dir]);
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.match(
    wrong.stderr,
    /error: --target .* answered HTTP 404 to 3 calibration requests in a row: it does not serve the route/,
  );
});
