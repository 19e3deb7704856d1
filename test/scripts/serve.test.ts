import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { runCli, startCli, type CliResult } from '../helpers/run-cli.ts';

interface Serving {
  port: number;
  server_pid: number;
  done: Promise<CliResult>;
  out: () => string;
}

async function serve(t: TestContext, args: string[]): Promise<Serving> {
  const s = startCli('serve', ['--listen', '127.0.0.1:0', ...args]);
  t.after(() => s.child.kill('SIGKILL'));
  let out = '';
  s.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const ready = /listening on http:\/\/127\.0\.0\.1:(\d+) \(h[12], pid (\d+)/;
  const until = Date.now() + 30_000;
  while (!ready.test(out)) {
    if (Date.now() > until) throw new Error(`serve did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const m = ready.exec(out);
  return { port: Number(m?.[1]), server_pid: Number(m?.[2]), done: s.done, out: () => out };
}

/** Raw bytes in, everything the server sends until it closes or resets (or 3 s pass) out. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(bytes));
    let got = '';
    sock.setEncoding('latin1').on('data', (d: string) => (got += d));
    sock.setTimeout(3_000, () => sock.destroy());
    sock.on('close', () => resolve(got));
    // A connection closed on accept may come back as a reset: what it answered (nothing) is the result.
    sock.on('error', () => resolve(got));
  });
}

const statusOf = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

test('serve: an address it cannot listen on is one line naming the reason, exit 2', async (t) => {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  t.after(() => holder.close());
  const taken = (holder.address() as AddressInfo).port;
  const cases: Array<[string, RegExp]> = [
    ['nosuch.invalid:8080', /cannot listen on nosuch\.invalid:8080: (ENOTFOUND|EAI_AGAIN) /],
    ['192.0.2.1:8080', /cannot listen on 192\.0\.2\.1:8080: EADDRNOTAVAIL \(no interface/],
    [`127.0.0.1:${taken}`, /EADDRINUSE \(something already listens there\)/],
  ];
  for (const [listen, message] of cases) {
    const r = await runCli('serve', ['--listen', listen], 60_000);
    assert.equal(r.code, 2, `${listen}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
});

test('serve: limit flags take decimal whole numbers only', async () => {
  for (const args of [
    ['--max-connections', '0'],
    ['--max-response-bytes', '1e6'],
    ['--max-delay-ms', '0x10'],
    ['--keep-alive-timeout-ms', '1.5'],
  ]) {
    const r = await runCli('serve', ['--listen', '127.0.0.1:0', ...args], 30_000);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^error: ${args[0]} must be a whole number from \\d+ to \\d+`));
  }
});

test('serve: when its server dies, serve says why and exits 1', async (t) => {
  const s = await serve(t, []);
  process.kill(s.server_pid, 'SIGKILL');
  const r = await s.done;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^error: the server died: h1 server \(pid \d+\) exited with signal SIGKILL/);
});

test('serve: limits on connections, response size and delay; malformed requests get 400 and it stays up', async (t) => {
  const s = await serve(t, ['--max-connections', '2', '--max-response-bytes', '1000', '--max-delay-ms', '100']);
  assert.match(s.out(), /at most 2 connections, 1000 bytes, 100 ms delay/);
  assert.equal(statusOf(await exchange(s.port, get('/bytes/1000'))), 200);
  assert.equal(statusOf(await exchange(s.port, get('/bytes/1001'))), 400);
  assert.equal(statusOf(await exchange(s.port, get('/bytes/1?delay_ms=100'))), 200);
  assert.equal(statusOf(await exchange(s.port, get('/bytes/1?delay_ms=101'))), 400);
  assert.equal(statusOf(await exchange(s.port, get('//['))), 400);
  assert.equal(statusOf(await exchange(s.port, 'GET\0\r\n\r\n')), 400);

  // Two connections held open (each has been served, so both are accepted); the third is closed on accept.
  const held: Socket[] = [];
  t.after(() => held.forEach((h) => h.destroy()));
  for (let i = 0; i < 2; i++) {
    const sock = connect(s.port, '127.0.0.1');
    held.push(sock);
    const first = await new Promise<string>((resolve) => {
      sock.once('data', (d: Buffer) => resolve(d.toString('latin1')));
      sock.write('GET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    assert.equal(statusOf(first), 200);
  }
  assert.equal(await exchange(s.port, get('/bytes/1')), '', 'a third connection is closed without an answer');
  held.forEach((h) => h.destroy());
  // The server learns of the closes a moment later: asked again until it answers (at most 5 s).
  let again = NaN;
  for (const until = Date.now() + 5_000; Date.now() < until && again !== 200;)
    again = statusOf(await exchange(s.port, get('/bytes/1')));
  assert.equal(again, 200, 'served again once the two are gone');
});
