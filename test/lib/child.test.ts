import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnJsonChild, tsEntryArgv } from '../../lib/child.ts';

const CHILD = fileURLToPath(new URL('../helpers/rpc-echo-child.ts', import.meta.url));

test('the JSON-line RPC: ready line, replies matched by id in any order, errors as ok:false, EOF ends the child', async () => {
  const child = await spawnJsonChild<{ ready: true; pid: number; role: string }>(tsEntryArgv(CHILD), {
    label: 'echo child',
  });
  try {
    assert.equal(child.ready.role, 'echo');
    assert.equal(child.ready.pid, child.pid);
    // The slow request is answered after the fast one: replies are matched by id, not by order.
    const [slow, fast] = await Promise.all([
      child.call<{ slept: number }>({ op: 'slow', ms: 200 }),
      child.call<{ text: string }>({ op: 'echo', text: 'hi' }),
    ]);
    assert.equal(slow.slept, 200);
    assert.equal(fast.text, 'hi');
    await assert.rejects(child.call({ op: 'fail' }), /^Error: echo child: asked to fail$/);
    await assert.rejects(child.call({ op: 'nope' }), /echo child: unknown op nope/);
    const raw = await child.request<{ ok: boolean; error: string }>({ op: 'fail' });
    assert.deepEqual([raw.ok, raw.error], [false, 'asked to fail']);
    await assert.rejects(child.call({ op: 'slow', ms: 2_000 }, 100), /echo child: no reply to slow within 100 ms/);
  } finally {
    await child.stop();
  }
  assert.equal(child.alive(), false);
});

test("the JSON-line RPC: stdin EOF runs the child's own exit path; a request to an exited child fails at once", async () => {
  const [file, ...args] = tsEntryArgv(CHILD);
  const proc = spawn(file ?? process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = await new Promise<string>((resolve) => proc.stdout.once('data', (d: Buffer) => resolve(d.toString())));
  assert.match(ready, /^\{"ready":true,"pid":\d+,"role":"echo"\}\n$/);
  proc.stdin.end();
  const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  assert.equal(code, 7);

  const child = await spawnJsonChild<{ ready: true; pid: number }>(tsEntryArgv(CHILD), { label: 'echo child' });
  await child.stop();
  await assert.rejects(child.call({ op: 'echo', text: 'x' }), /echo child is not running/);
});
