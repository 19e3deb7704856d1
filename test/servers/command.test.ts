import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { listensIn, ServerCommandError, startCommandServer, type CommandServerOptions } from '../../servers/command.ts';
import { HARNESS_ROUTES } from '../../servers/under-test.ts';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const node = (script: string): string[] => [process.execPath, '-e', script];
const HTTP = "require('http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), process.env.HOST)";

async function opts(argv: string[], more: Partial<CommandServerOptions> = {}): Promise<CommandServerOptions> {
  return {
    argv,
    host: '127.0.0.1',
    port: await freePort(),
    netns: null,
    protocol: 'h1',
    tls: false,
    routes: HARNESS_ROUTES,
    ...more,
  };
}

/** Gone, or a zombie nobody reaped yet. */
function gone(pid: number): boolean {
  try {
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

test('/proc/net/tcp: LISTEN (0A) on the port, not other states or ports', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
    '   1: 0100007F:1F91 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
  ].join('\n');
  assert.equal(listensIn(table, 8080), true);
  assert.equal(listensIn(table, 8081), false, 'established, not listening');
  assert.equal(listensIn(table, 80), false);
});

test('a server command: HOST and PORT in its environment, {port} in its arguments, stopped with its whole group', async () => {
  const o = await opts([
    ...node(
      `${HTTP}; require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })`,
    ),
    '{port}',
  ]);
  const s = await startCommandServer(o);
  try {
    assert.equal(s.origin, 'command');
    assert.equal(s.command.at(-1), String(o.port));
    const res = await fetch(`http://127.0.0.1:${o.port}/`);
    assert.equal(await res.text(), 'ok');
    assert.equal(s.alive(), true);
    assert.equal(s.stats, null, 'no counters from a foreign server');
  } finally {
    await s.stop();
  }
  assert.equal(s.alive(), false);
  assert.ok(gone(s.pid!), 'the server is gone');
  // Its child (the same process group) went with it: nothing of the group is left.
  assert.throws(() => process.kill(-s.pid!, 0), /ESRCH/);
});

test('a command that exits at once: one line with its exit code and stderr', async () => {
  const o = await opts(node("console.error('bad config on line 3'); process.exit(3)"));
  await assert.rejects(
    startCommandServer(o),
    (e: unknown) =>
      e instanceof ServerCommandError &&
      /exited \(code 3\) before port \d+ listened; its stderr ends:\n  \| bad config on line 3$/.test(e.message),
  );
});

test('a command that never opens its port: bounded wait, the process ended, the advice about --server-port', async () => {
  const o = await opts(node("console.error('listening on 9999 instead'); setInterval(() => {}, 1000)"), {
    ready_timeout_ms: 1_000,
    stop_grace_ms: 500,
  });
  let pid: number | undefined;
  await assert.rejects(
    startCommandServer(o),
    (e: unknown) =>
      e instanceof ServerCommandError &&
      /did not listen on port \d+ within 1 s \(.*--server-port\); its stderr ends:\n  \| listening on 9999 instead$/.test(
        e.message,
      ),
  );
  // Nothing of it is left running.
  for (const line of execFileSync('ps', ['-eo', 'pid=,args=']).toString().split('\n')) {
    if (line.includes('listening on 9999 instead')) pid = Number(line.trim().split(' ')[0]);
  }
  assert.equal(pid, undefined, 'the command was stopped');
});
