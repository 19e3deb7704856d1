/** Fixtures shared by the slowstart tests: a cold 1 MiB case and `ss -tinH` output. */
import type { SlowstartCase } from '../../bench/scenarios/slowstart/model.ts';
import { WARMUP_BYTES } from '../../bench/scenarios/slowstart/plan.ts';

export const cold1M: SlowstartCase = {
  state: 'cold',
  idle_ms: 0,
  cc: 'reno',
  ssai: 1,
  initcwnd_segments: 10,
  size_bytes: 1048576,
  warmup_bytes: WARMUP_BYTES,
};

export const SS_OUT = `0      0      198.18.0.2:8080 198.18.0.1:52746
\t bbr wscale:10,10 rto:252 rtt:50.394/0.753 mss:1448 pmtu:1500 rcvmss:536 advmss:1448 cwnd:168 ssthresh:120 bytes_sent:134464 bytes_retrans:34464 bytes_acked:100000 segs_out:4 segs_in:4 data_segs_out:4 bbr:(bw:11203752680bps,mrtt:0.02,pacing_gain:2.88672,cwnd_gain:2.88672) send 988689655bps lastsnd:100 lastrcv:116 lastack:68 pacing_rate 374.5Mbps delivery_rate 26826544bps delivered:5 busy:44ms unacked:12 retrans:0/3 dsack_dups:1 rcv_space:65483 snd_wnd:28672
0      0      198.18.0.2:8080 198.18.0.1:52750
\t reno wscale:7,7 rto:204 rtt:1/0.5 mss:1448 cwnd:10 bytes_acked:1
`;
