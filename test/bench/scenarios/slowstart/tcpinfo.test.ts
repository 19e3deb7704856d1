import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSsTcpInfo } from '../../../../bench/scenarios/slowstart/ss.ts';
import { busiestSocket } from '../../../../bench/scenarios/slowstart/tcpinfo.ts';
import type { TimedTcpInfo } from '../../../../bench/scenarios/slowstart/sampler.ts';
import { SS_OUT } from '../../../helpers/slowstart.ts';

test('busiestSocket keeps the socket that moved data, not the idle kept-alive ones', () => {
  const s = (peer: string, t_ms: number, acked: number | null, source: 'ss' | 'proc' = 'ss'): TimedTcpInfo => ({
    ...(parseSsTcpInfo(SS_OUT)[1] as TimedTcpInfo),
    peer,
    t_ms,
    bytes_acked: acked,
    source,
  });
  const picked = busiestSocket([
    s('a', 0, 5000),
    s('b', 0, 1),
    s('a', 10, 5000),
    s('b', 10, 90000),
    s('b', 15, null, 'proc'),
    s('b', 20, 400000),
  ]);
  assert.deepEqual(
    picked.map((p) => `${p.peer}/${p.source}`),
    ['b/ss', 'b/ss', 'b/proc', 'b/ss'],
  );
  assert.deepEqual(busiestSocket([]), []);
});
