import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  c2Findings,
  c2Verdict,
  doneChecks,
  doneWhenRows,
  h2WindowLimitedRounds,
  slowstartFigures,
  tracePoints,
} from '../../../../report/sections/slowstart/analysis.ts';

function summaryRow(
  variant: string,
  size: number,
  median: number,
  model: number | null = null,
): Record<string, string> {
  return {
    scenario: 'slowstart',
    metric: 'total_ms',
    profile: 'wan',
    protocol: 'h1',
    rtt_ms_calibrated: '50',
    variant,
    size_bytes: String(size),
    median: String(median),
    ci95_low: '',
    ci95_high: '',
    model_ms: model === null ? '' : String(model),
    n: '3',
    errors: '0',
  };
}

test('report: C2 verdict depends when an idle (ssai=1) connection loses the window, refuted when warm saves nothing', () => {
  const rows = [
    summaryRow('part=size;state=cold;cc=reno;ssai=1;iw=10', 1024, 101),
    summaryRow('part=size;state=warm;cc=reno;ssai=1;iw=10', 1024, 51),
    summaryRow('part=size;state=cold;cc=reno;ssai=1;iw=10', 262144, 350),
    summaryRow('part=size;state=warm;cc=reno;ssai=1;iw=10', 262144, 52),
    summaryRow('part=size;state=idle;idle_ms=1000;cc=reno;ssai=1;iw=10', 262144, 155),
    summaryRow('part=size;state=idle;idle_ms=1000;cc=reno;ssai=0;iw=10', 262144, 55),
  ];
  const figs = slowstartFigures(rows);
  assert.equal(figs.length, 6);
  assert.equal(figs[2]?.rounds, 7);
  assert.equal(figs[4]?.label, 'idle 1 s, ssai=1');
  const [f] = c2Findings(figs);
  assert.equal(f?.threshold_bytes, 262144);
  assert.equal(f?.saved_rounds_largest, 4.96);
  assert.deepEqual(
    f?.idle_lost_rounds.map((g) => [g.ssai, g.lost_rounds, g.size_bytes]),
    [
      [1, 2.06, 262144],
      [0, 0.06, 262144],
    ],
  );
  const v = c2Verdict(c2Findings(figs));
  assert.equal(v.kind, 'depends');
  assert.match(v.reason ?? '', /tcp_slow_start_after_idle=0/);
  // Without the idle loss: confirmed. Warm no faster than cold minus the handshake: refuted.
  assert.equal(c2Verdict(c2Findings(figs.filter((x) => !(x.state === 'idle' && x.ssai === 1)))).kind, 'confirmed');
  const flat = slowstartFigures([
    summaryRow('part=size;state=cold;cc=reno;ssai=1;iw=10', 262144, 101),
    summaryRow('part=size;state=warm;cc=reno;ssai=1;iw=10', 262144, 51),
  ]);
  assert.equal(c2Verdict(c2Findings(flat)).kind, 'refuted');
  assert.equal(c2Verdict([]).kind, 'not_run');
  assert.equal(h2WindowLimitedRounds(1048576, 65535), 17);
  const [done] = doneWhenRows(figs, 262144);
  assert.equal(done?.idle_ssai1?.rounds, 3.1);
  // cold 7 RTT (no model in these rows), warm 1.04, idle ssai=1 3.1 (cold − handshake is 6), ssai=0 1.1.
  assert.equal(
    doneChecks(done!),
    'cold = model ± 1: —; warm ≤ 2 + transfer: yes; idle 1 s (ssai=1) = cold − handshake ± 1: no; idle 1 s (ssai=0) = warm ± 1: yes',
  );
  const pts = tracePoints([
    { trace_id: 'x', t_ms: '100', cwnd_segments: '10', state: 'cold', idle_ms: '0', ssai: '1' },
    { trace_id: 'x', t_ms: '150', cwnd_segments: '20', state: 'cold', idle_ms: '0', ssai: '1' },
    { trace_id: 'x', t_ms: '160', cwnd_segments: '', state: 'cold', idle_ms: '0', ssai: '1' },
  ]);
  assert.deepEqual(
    pts.map((p) => [p.t_ms, p.cwnd_segments]),
    [
      [0, 10],
      [50, 20],
    ],
  );
});
