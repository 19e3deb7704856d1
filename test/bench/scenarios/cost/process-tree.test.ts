import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parentOf, rssBytesOf, treeOf, treeUsage } from '../../../../bench/scenarios/cost/process-tree.ts';

test('process tree: parent pids from stat lines whose command holds spaces and parentheses', () => {
  assert.equal(parentOf('4242 (nginx: worker (x)) S 4241 4241 4241 0 -1 4194624'), 4241);
  assert.equal(parentOf('1 (init) S 0 1 1 0'), 0);
  // 10 ─┬─ 11 ── 13
  //     └─ 12        20 (another tree)
  const parents = new Map([
    [11, 10],
    [12, 10],
    [13, 11],
    [20, 1],
    [10, 1],
  ]);
  assert.deepEqual(treeOf(10, parents), [10, 11, 12, 13]);
  assert.deepEqual(treeOf(13, parents), [13]);
  assert.equal(rssBytesOf('Name:\tnginx\nVmRSS:\t    2048 kB\nThreads:\t1\n'), 2_097_152);
  assert.equal(rssBytesOf('Name:\tkthreadd\n'), 0);
});

test("process tree: a live tree's processes, memory, FDs and CPU are summed", async (t) => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 300));
  const alone = treeUsage(child.pid!);
  const mine = treeUsage(process.pid);
  assert.ok(alone && mine);
  assert.equal(alone.pids, 1);
  assert.ok(mine.pids >= 2, 'this process and the child');
  assert.ok(mine.rss_bytes > alone.rss_bytes && alone.rss_bytes > 1_000_000, `${mine.rss_bytes} > ${alone.rss_bytes}`);
  assert.ok(mine.open_fds > alone.open_fds && alone.open_fds >= 3);
  assert.ok(mine.cpu_ms >= alone.cpu_ms);
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.equal(treeUsage(child.pid!), null, 'a process gone reads as null');
});
