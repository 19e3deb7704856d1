import { test } from 'node:test';
import assert from 'node:assert/strict';
import { c2Comparisons } from '../../../../report/sections/slowstart/c2-evidence.ts';
import {
  c2Findings,
  c2Verdict,
  doneChecks,
  doneWhenRows,
  h2WindowLimitedRounds,
  slowstartFigures,
  tracePoints,
} from '../../../../report/sections/slowstart/analysis.ts';

function caseKey(variant: string, size: number): string {
  return `slowstart/${variant.replaceAll(';', '/')}/size_bytes=${size}/profile=wan`;
}

/** samples.csv rows of one case: a warm-up (left out of every figure) and the measured total times. */
function sampleRows(variant: string, size: number, totals: readonly number[]): Record<string, string>[] {
  const row = (total: number, warmup: boolean): Record<string, string> => ({
    scenario: 'slowstart',
    case_key: caseKey(variant, size),
    warmup: warmup ? '1' : '0',
    error: '',
    total_ms: String(total),
  });
  return [row(9999, true), ...totals.map((t) => row(t, false))];
}

function summaryRow(
  variant: string,
  size: number,
  median: number,
  model: number | null = null,
): Record<string, string> {
  return {
    scenario: 'slowstart',
    case_key: caseKey(variant, size),
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
  // The short gap is the run's own (bench: twice the RTO, 0.5 s at 50 ms RTT): the shortest below 5 s.
  const shortGap = slowstartFigures([
    summaryRow('part=size;state=cold;cc=reno;ssai=1;iw=10', 262144, 350),
    summaryRow('part=size;state=warm;cc=reno;ssai=1;iw=10', 262144, 52),
    summaryRow('part=size;state=idle;idle_ms=5000;cc=reno;ssai=1;iw=10', 262144, 300),
    summaryRow('part=size;state=idle;idle_ms=500;cc=reno;ssai=1;iw=10', 262144, 155, 200),
    summaryRow('part=size;state=idle;idle_ms=500;cc=reno;ssai=0;iw=10', 262144, 55),
  ]);
  const [short] = doneWhenRows(shortGap, 262144);
  assert.equal(short?.idle_ms, 500);
  assert.equal(short?.idle_ssai1?.rounds, 3.1);
  assert.equal(short?.idle5_ssai1?.rounds, 6);
  // A gap of two RTOs leaves the window above initcwnd: checked against its model (4 RTT), not cold − handshake.
  assert.match(
    doneChecks(short!),
    /idle 0\.5 s \(ssai=1\) = its model ± 1: yes; idle 0\.5 s \(ssai=0\) = warm ± 1: yes; idle 5 s \(ssai=1\) = cold − handshake ± 1: yes/,
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

const COLD = 'part=size;state=cold;cc=reno;ssai=1;iw=10';
const WARM = 'part=size;state=warm;cc=reno;ssai=1;iw=10';
const IDLE1 = 'part=size;state=idle;idle_ms=1000;cc=reno;ssai=1;iw=10';

test('C2 evidence: Hodges–Lehmann CIs in RTTs from the samples; strong when they clear the thresholds', () => {
  // RTT 50 ms. At 256 KiB cold − warm − 1 RTT ≈ 4.96 RTT, idle (ssai=1) − warm ≈ 2.06 RTT; at 1 KiB nothing saved.
  const rows = [
    summaryRow(COLD, 1024, 101),
    summaryRow(WARM, 1024, 51),
    summaryRow(COLD, 262144, 350),
    summaryRow(WARM, 262144, 52),
    summaryRow(IDLE1, 262144, 155),
  ];
  const samples = [
    ...sampleRows(COLD, 1024, [100, 101, 102, 101]),
    ...sampleRows(WARM, 1024, [50, 51, 52, 51]),
    ...sampleRows(COLD, 262144, [345, 350, 352, 355]),
    ...sampleRows(WARM, 262144, [50, 52, 53, 51]),
    ...sampleRows(IDLE1, 262144, [150, 155, 160, 158]),
  ];
  const figs = slowstartFigures(rows);
  const comparisons = c2Comparisons(figs, samples);
  assert.deepEqual(
    comparisons.map((c) => [c.what, c.size_bytes, c.n_a, c.n_b]),
    [
      ['saved', 1024, 4, 4],
      ['saved', 262144, 4, 4],
      ['idle_lost', 262144, 4, 4],
    ],
  );
  // 4 + 4 samples: the Moses CI is the smallest to the largest pairwise difference (97.1 % coverage).
  const saved = comparisons[1]!;
  assert.equal(saved.ci_low_rounds, (345 - 53) / 50 - 1);
  assert.equal(saved.ci_high_rounds, (355 - 50) / 50 - 1);
  const v = c2Verdict(c2Findings(figs), comparisons);
  assert.equal(v.kind, 'depends');
  assert.deepEqual(v.evidence, {
    n: 'n ≥ 4 requests a case, 2 cold-vs-warm and 1 idle-vs-warm comparison',
    strength: 'strong',
  });
  assert.equal(v.numbers.saved_rounds_ci_low_wan_reno, 4.84);
  assert.equal(v.numbers.idle1000ms_ssai1_lost_rounds_ci_low_wan_reno, 1.94);
  assert.equal(v.numbers.evidence_min_n_requests, 4);
  assert.match(v.figure, /4\.96 RTT \(95 % CI 4\.84…5\.10 RTT\) saved beyond the handshake/);
  assert.match(v.figure, /takes 2\.06 RTT \(95 % CI 1\.94…2\.20 RTT\) more than warm/);

  // Without idle cases: confirmed, and strong (the saving's CI clears 0.75 RTT at 256 KiB).
  const noIdle = figs.filter((f) => f.state !== 'idle');
  const confirmed = c2Verdict(c2Findings(noIdle), c2Comparisons(noIdle, samples));
  assert.equal(confirmed.kind, 'confirmed');
  assert.equal(confirmed.evidence?.strength, 'strong');

  // Warm no faster than cold minus the handshake, and the CI says so: refuted, strong.
  const flat = slowstartFigures([summaryRow(COLD, 1024, 101), summaryRow(WARM, 1024, 51)]);
  const refuted = c2Verdict(c2Findings(flat), c2Comparisons(flat, samples));
  assert.equal(refuted.kind, 'refuted');
  assert.deepEqual(refuted.evidence, { n: 'n ≥ 4 requests a case, 1 cold-vs-warm comparison', strength: 'strong' });
});

test('C2 evidence: inconclusive when a CI reaches the threshold, or the samples are too few for a CI', () => {
  const rows = [
    summaryRow(COLD, 262144, 350),
    summaryRow(WARM, 262144, 52),
    // Median 0.04 RTT above warm (idling lost nothing), but one request 100 ms slower: the CI reaches 2 RTT.
    summaryRow(IDLE1, 262144, 54),
  ];
  const figs = slowstartFigures(rows);
  const four = [
    ...sampleRows(COLD, 262144, [345, 350, 352, 355]),
    ...sampleRows(WARM, 262144, [50, 52, 53, 51]),
    ...sampleRows(IDLE1, 262144, [50, 53, 55, 150]),
  ];
  const v = c2Verdict(c2Findings(figs), c2Comparisons(figs, four));
  assert.equal(v.kind, 'confirmed');
  assert.deepEqual(v.evidence, {
    n: 'n ≥ 4 requests a case, 1 cold-vs-warm and 1 idle-vs-warm comparison',
    strength: 'inconclusive',
  });
  assert.equal(v.numbers.idle1000ms_ssai1_lost_rounds_ci_high_wan_reno, 2);

  // The standard run's 2 requests a case: no 95 % CI at all, whatever the medians say.
  const two = [
    ...sampleRows(COLD, 262144, [345, 355]),
    ...sampleRows(WARM, 262144, [50, 53]),
    ...sampleRows(IDLE1, 262144, [53, 54]),
  ];
  const w = c2Verdict(c2Findings(figs), c2Comparisons(figs, two));
  assert.deepEqual(w.evidence, {
    n: 'n ≥ 2 requests a case, 1 cold-vs-warm and 1 idle-vs-warm comparison',
    strength: 'inconclusive',
  });
  assert.equal(w.numbers.saved_rounds_ci_low_wan_reno, null);
  assert.doesNotMatch(w.figure, /95 % CI/);
  // No samples at all (a summary without samples.csv): still evidence, inconclusive.
  assert.deepEqual(c2Verdict(c2Findings(figs)).evidence, {
    n: 'n = 0 cold-vs-warm comparisons with samples',
    strength: 'inconclusive',
  });
  assert.equal(c2Verdict([]).evidence, undefined, 'not run: no evidence');
});
