import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcNetTcp, parseSsTcpInfo } from '../../../../bench/scenarios/slowstart/ss.ts';
import { SS_OUT } from '../../../helpers/slowstart.ts';

test('parseSsTcpInfo reads cwnd, ssthresh, rtt, retransmits and rates from ss -tinH', () => {
  const [a, b, ...rest] = parseSsTcpInfo(SS_OUT);
  assert.equal(rest.length, 0);
  assert.ok(a && b);
  assert.deepEqual(
    [
      a.peer,
      a.cc,
      a.cwnd_segments,
      a.ssthresh_segments,
      a.rtt_ms,
      a.rttvar_ms,
      a.rto_ms,
      a.mss_bytes,
      a.bytes_acked,
      a.unacked_segments,
      a.retrans_total,
      a.snd_wnd_bytes,
    ],
    ['198.18.0.1:52746', 'bbr', 168, 120, 50.394, 0.753, 252, 1448, 100000, 12, 3, 28672],
  );
  assert.ok(Math.abs((a.delivery_rate_mbit ?? 0) - 26.826544) < 1e-9);
  assert.equal(a.pacing_rate_mbit, 374.5);
  assert.deepEqual(
    [b.cc, b.cwnd_segments, b.ssthresh_segments, b.retrans_total, b.delivery_rate_mbit],
    ['reno', 10, null, 0, null],
  );
  assert.deepEqual(parseSsTcpInfo(''), []);
});

const PROC_NET_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0200000A:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 020012C6:1F90 010012C6:CDFA 01 0001C000:00000000 01:00000014 00000000     0        0 2 2 0000000000000000 54 4 30 80 -1
   2: 020012C6:1F90 010012C6:CDFB 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 54 4 30 45 36
   3: 020012C6:0050 010012C6:CDFC 01 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 54 4 30 12 7
`;

test('parseProcNetTcp reads cwnd and ssthresh of established sockets on the port', () => {
  const w = parseProcNetTcp(PROC_NET_TCP, 8080);
  assert.deepEqual(
    w.map((x) => [x.local, x.peer, x.cwnd_segments, x.ssthresh_segments, x.tx_queue_bytes]),
    [
      ['198.18.0.2:8080', '198.18.0.1:52730', 80, null, 0x1c000],
      ['198.18.0.2:8080', '198.18.0.1:52731', 45, 36, 0],
    ],
  );
  assert.deepEqual(parseProcNetTcp('header only\n', 8080), []);
});
