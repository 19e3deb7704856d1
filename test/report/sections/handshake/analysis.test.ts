import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MATCH_TEXT,
  c1Match,
  c3Trends,
  noReuseOf,
  verdictC1,
  verdictC3,
} from '../../../../report/sections/handshake/analysis.ts';
import { handshakeSavings } from '../../../../bench/scenarios/handshake/savings.ts';
import type { Figure } from '../../../../lib/figures.ts';
import { fig } from './figures.ts';

/** new/reused pairs of cleartext and TLS 1.3 HTTP/1.1 at one RTT; `extra` adds ms to every new connection. */
function pair(profile: string, rtt: number, extra = 0.6, spread: number | null = 0.5): Figure[] {
  return [
    fig(profile, rtt, 'h1', 'none', 'new', 2 * rtt + extra, 2 * rtt, spread),
    fig(profile, rtt, 'h1', 'none', 'reused', rtt + 0.2, rtt, spread),
    fig(profile, rtt, 'h1', 'tls13', 'new', 3 * rtt + 2 * extra, 3 * rtt, spread),
    fig(profile, rtt, 'h1', 'tls13', 'resumed', 3 * rtt + extra, 3 * rtt, spread),
    fig(profile, rtt, 'h1', 'tls13', 'reused', rtt + 0.2, rtt, spread),
  ];
}

test("savings: reused vs every other mode, CI from the two medians' CIs, RTT units only above 1 ms", () => {
  const s = handshakeSavings([...pair('wan', 50), ...pair('loopback', 0.4)]);
  const wanClear = s.find((x) => x.profile === 'wan' && x.security === 'none' && x.versus === 'new');
  assert.ok(wanClear);
  assert.equal(wanClear.saving_ms, 100.6 - 50.2);
  assert.ok(Math.abs((wanClear.ci_low_ms ?? 0) - (100.1 - 50.7)) < 1e-9);
  assert.ok(Math.abs((wanClear.ci_high_ms ?? 0) - (101.1 - 49.7)) < 1e-9);
  assert.ok(Math.abs((wanClear.saving_rtt ?? 0) - 50.4 / 50) < 1e-9);
  assert.equal(wanClear.model_rtt, 1);
  assert.equal(s.filter((x) => x.profile === 'wan' && x.security === 'tls13').length, 2, 'new and resumed vs reused');
  const lo = s.find((x) => x.profile === 'loopback' && x.versus === 'new');
  assert.equal(lo?.saving_rtt, null, 'no RTT units on a link without delay');
});

test('C1 confirmed when every saving is within tolerance of the model; figure in RTT and ms', () => {
  const v = verdictC1(handshakeSavings(pair('wan', 50)));
  assert.equal(v.kind, 'confirmed');
  assert.match(
    v.figure,
    /keep-alive saves 1\.01 RTT = 50\.4 ms per request over HTTP\/1\.1 cleartext at 50\.0 ms RTT \(wan; model 1\.00 RTT\)/,
  );
  assert.match(v.figure, /2\.02 RTT = 101\.0 ms over HTTP\/1\.1 \+ TLS 1\.3 \(model 2\.00 RTT\)/);
  assert.equal(v.numbers.cases, 2);
  assert.equal(v.numbers.cases_agreeing, 2);
  assert.deepEqual(v.evidence, { n: '2 cases, n ≥ 10 requests each', strength: 'strong' });
});

test('C1 refuted when keep-alive saves nothing (CI includes 0)', () => {
  const figs = [fig('wan', 50, 'h1', 'none', 'new', 50.3, 100, 1), fig('wan', 50, 'h1', 'none', 'reused', 50.2, 50, 1)];
  const v = verdictC1(handshakeSavings(figs));
  assert.equal(v.kind, 'refuted');
  assert.match(v.reason ?? '', /CI includes 0/);
});

test('C1 depends when savings exceed the model, or when a case has no CI', () => {
  assert.equal(c1Match(handshakeSavings(pair('wan', 50, 20))[0]!), 'larger');
  const big = verdictC1(handshakeSavings(pair('wan', 50, 20)));
  assert.equal(big.kind, 'depends');
  assert.match(big.reason ?? '', /above the model/);
  const noCi = verdictC1(handshakeSavings(pair('wan', 50, 0.6, null)));
  assert.equal(noCi.kind, 'depends');
  assert.match(noCi.reason ?? '', /too few successful samples/);
});

test('C1: processing measured at zero RTT is part of the expected saving', () => {
  // TLS handshakes that cost 20 ms of CPU: above the round-trip model alone, as expected once that is known.
  const figs = pair('wan', 50, 20);
  assert.equal(verdictC1(handshakeSavings(figs)).kind, 'depends');
  const withCpu = figs.map((f) => ({
    ...f,
    cpu_baseline_ms: f.conn_mode === 'reused' ? 0.2 : f.security === 'none' ? 20 : 40,
  }));
  const v = verdictC1(handshakeSavings(withCpu));
  assert.equal(v.kind, 'confirmed');
  assert.match(v.figure, /model 1\.00 RTT \+ 19\.8 ms processing measured at zero RTT/);
});

test('C1: a case too noisy to tell neither confirms nor refutes', () => {
  // At 2 ms RTT with a ±3 ms CI the saving's CI spans both 0 and the model.
  const noisy = [fig('lan', 2, 'h1', 'none', 'new', 4.2, 4, 3), fig('lan', 2, 'h1', 'none', 'reused', 2.1, 2, 3)];
  const s = handshakeSavings(noisy);
  assert.equal(c1Match(s[0]!), 'noisy');
  assert.equal(verdictC1(s).kind, 'depends', 'nothing else to go on');
  const v = verdictC1(handshakeSavings([...noisy, ...pair('wan', 50)]));
  assert.equal(v.kind, 'confirmed');
  assert.match(v.figure, /2 of 3 cases agree with the model \(1 case too noisy or too small to judge\)/);
});

test('C1 depends on a link with delay when the RTT is below 1 ms; and with no pair at all', () => {
  const v = verdictC1(handshakeSavings(pair('loopback', 0.4)));
  assert.equal(v.kind, 'depends');
  assert.match(v.reason ?? '', /needs a link that adds delay/);
  assert.match(v.figure, /saves 0\.\d+ ms per request/);
  const none = verdictC1(
    handshakeSavings([fig('wan', 50, 'h1', 'none', 'new', null, 100), fig('wan', 50, 'h1', 'none', 'reused', 50, 50)]),
  );
  assert.equal(none.kind, 'depends');
  assert.match(none.reason ?? '', /no successful new-vs-reused pair/);
});

test('C3 needs two profiles with different RTT', () => {
  const v = verdictC3(handshakeSavings(pair('wan', 50)), 1);
  assert.equal(v.kind, 'depends');
  assert.match(v.reason ?? '', /needs ≥ 2 profiles .* --profile lan,wan,intercontinental/);
  assert.deepEqual(v.evidence, { n: '1 RTT measured, n ≥ 10 requests a case', strength: 'inconclusive' });
  assert.deepEqual(verdictC3([], 0).evidence, { n: 'n = 0 new-vs-reused pairs', strength: 'inconclusive' });
});

test('C3 confirmed when the saving grows with RTT, with the slope in RTTs per request', () => {
  const s = handshakeSavings([...pair('lan', 10), ...pair('wan', 50), ...pair('intercontinental', 150)]);
  const trends = c3Trends(s);
  assert.equal(trends.length, 2);
  const clear = trends.find((t) => t.variant === 'h1/none');
  assert.ok(
    clear && clear.slope_rtt !== null && Math.abs(clear.slope_rtt - 1) < 1e-9,
    'cleartext saves exactly one RTT per ms of RTT',
  );
  assert.ok(Math.abs((trends.find((t) => t.variant === 'h1/tls13')?.slope_rtt ?? 0) - 2) < 1e-9);
  const v = verdictC3(s, 3);
  assert.equal(v.kind, 'confirmed');
  assert.match(
    v.figure,
    /saving grows from 10\.4 ms at 10\.0 ms RTT \(lan\) to 150\.4 ms at 150\.0 ms RTT \(intercontinental\) over HTTP\/1\.1 cleartext \(\+140\.0 ms, 95 % CI \[138\.6–141\.4\] ms\)/,
  );
  // Each saving's CI is ±1 ms (two ±0.5 ms medians end to end); the growth's: ±√2 ms, in quadrature.
  assert.equal(v.numbers.growth_ms, 140);
  assert.equal(v.numbers.growth_ci_low_ms, 138.5858);
  assert.equal(v.numbers.tls_growth_ci_high_ms, 281.4142);
  assert.equal(v.numbers.variants_growth_ci_above_0, 2);
  assert.deepEqual(v.evidence, {
    n: '2 protocol/security variants at 10.0 ms and 150.0 ms RTT, n ≥ 10 requests a case',
    strength: 'strong',
  });
});

test('C3 confirmed but inconclusive when one variant grows only by its medians (its growth CI includes 0)', () => {
  // Cleartext grows with tight CIs; TLS 1.3's medians are ±30 ms: its growth of 80 ms has a CI of ±85 ms.
  const s = handshakeSavings([
    ...pair('lan', 10).filter((f) => f.security === 'none'),
    ...pair('wan', 50).filter((f) => f.security === 'none'),
    fig('lan', 10, 'h1', 'tls13', 'new', 30, 30, 30),
    fig('lan', 10, 'h1', 'tls13', 'reused', 10, 10, 30),
    fig('wan', 50, 'h1', 'tls13', 'new', 150, 150, 30),
    fig('wan', 50, 'h1', 'tls13', 'reused', 50, 50, 30),
  ]);
  const v = verdictC3(s, 2);
  assert.equal(v.kind, 'confirmed');
  assert.match(v.figure, /1 of 2 variants too noisy to tell: HTTP\/1\.1 \+ TLS 1\.3/);
  assert.equal(v.numbers.variants_growth_ci_above_0, 1);
  assert.ok((v.numbers.tls_growth_ci_low_ms ?? 0) < 0, 'the TLS growth CI reaches below 0');
  assert.deepEqual(v.evidence, {
    n: '2 protocol/security variants at 10.0 ms and 50.0 ms RTT, n ≥ 10 requests a case',
    strength: 'inconclusive',
  });
});

test('C3 depends when every variant is too noisy to tell', () => {
  const wide = [...pair('lan', 10, 0.6, 30), ...pair('wan', 20, 0.6, 30)];
  const v = verdictC3(handshakeSavings(wide), 2);
  assert.equal(v.kind, 'depends');
  assert.match(v.reason ?? '', /too noisy to tell/);
  assert.equal(v.evidence?.strength, 'inconclusive');
});

test('C3 refuted when the saving does not grow although the RTT does', () => {
  // A saving that stays at ~5 ms whatever the RTT: keep-alive would only save CPU.
  const flat = (profile: string, rtt: number): Figure[] => [
    fig(profile, rtt, 'h1', 'none', 'new', rtt + 5, 2 * rtt),
    fig(profile, rtt, 'h1', 'none', 'reused', rtt, rtt),
  ];
  const v = verdictC3(handshakeSavings([...flat('lan', 10), ...flat('wan', 50)]), 2);
  assert.equal(v.kind, 'refuted');
  assert.match(v.figure, /saving goes from 5\.00 ms/);
  // Growth 0 ± √2 ms against the model's 40 ms: the CI lies below half the model's growth.
  assert.deepEqual(v.evidence, {
    n: '1 protocol/security variant at 10.0 ms and 50.0 ms RTT, n ≥ 10 requests a case',
    strength: 'strong',
  });
});

test('C1 on the proxy link counts only profiles from 10 ms RTT: a 1 ms profile that saves nothing does not refute it', () => {
  const onProxy = (figs: Figure[]): Figure[] => figs.map((f) => ({ ...f, link_backend: 'proxy' }));
  const lanNothing = [
    fig('lan', 1, 'h1', 'none', 'new', 1.3, 2, 0.05),
    fig('lan', 1, 'h1', 'none', 'reused', 1.3, 1, 0.05),
  ];
  assert.equal(
    verdictC1(handshakeSavings([...lanNothing, ...pair('wan', 50)])).kind,
    'refuted',
    'on a packet link the lan case counts',
  );
  const v = verdictC1(handshakeSavings(onProxy([...lanNothing, ...pair('wan', 50)])));
  assert.equal(v.kind, 'confirmed');
  assert.equal(v.numbers.cases, 2, 'the two wan cases');
});

test('C1 for a server that keeps no connection alive: "no reuse", not a saving and not a crash', () => {
  const row = (conn_mode: string, error: string, warmup = '0') => ({
    scenario: 'handshake',
    case_key: `handshake/protocol=h1/security=none/conn_mode=${conn_mode}/size_bytes=11/profile=wan`,
    conn_mode,
    warmup,
    error,
  });
  const closed = 'connection not reusable: connection closed by server';
  const samples = [
    row('new', ''),
    row('new', ''),
    row('reused', '', '1'),
    row('reused', closed),
    row('reused', '', '1'),
    row('reused', closed),
  ];
  const none = noReuseOf(samples);
  assert.deepEqual(none, { attempts: 2, cases: [samples[3]?.case_key] });
  const v = verdictC1([], none);
  assert.equal(v.kind, 'depends');
  assert.match(v.reason ?? '', /^no reuse: .*every request paid a new connection \(2\/2 attempts/);
  assert.equal(v.figure, 'no reuse: 0/2 requests could reuse a connection');
  // One successful reuse, or another error, is not "no reuse": the case is measured (or failed) as usual.
  assert.equal(noReuseOf([...samples, row('reused', '')]), null);
  assert.equal(noReuseOf([row('reused', 'connection not reusable: server sent Connection: close')])?.attempts, 1);
  assert.equal(noReuseOf([...samples, row('reused', 'timeout after 10000 ms')]), null);
  assert.equal(noReuseOf(samples.filter((r) => r.conn_mode === 'new')), null);
  assert.match(verdictC1([], null).reason ?? '', /no successful new-vs-reused pair/);
});

test('C1: a case that agrees only because the model is inside its CI is said so, not called "within ±0.25 RTT"', () => {
  // Saving 63.8 ms [53.8–73.8] at 50 ms RTT against a model of 50 ms: the median is 0.28 RTT off, the CI reaches it.
  const wide = [fig('wan', 50, 'h1', 'none', 'new', 114, 100, 5), fig('wan', 50, 'h1', 'none', 'reused', 50.2, 50, 5)];
  const s = handshakeSavings(wide);
  assert.equal(c1Match(s[0]!), 'model_in_ci');
  assert.equal(MATCH_TEXT.model_in_ci, 'model inside the 95 % CI (±0.25 RTT), median not');
  const v = verdictC1(handshakeSavings([...wide, ...pair('wan', 50).slice(2)]));
  assert.equal(v.kind, 'confirmed');
  assert.match(
    v.figure,
    /2 of 2 cases agree with the model \(1 only because the model is inside their 95 % CI: HTTP\/1\.1 cleartext on wan: 1\.28 RTT vs 1\.00 RTT expected\)/,
  );
  assert.equal(v.numbers.cases_agreeing_by_ci_only, 1);
  assert.equal(v.evidence?.strength, 'inconclusive', 'an agreement only through the CI is not strong evidence');
});

test('C1 leaves out cases whose processing at zero RTT exceeds half the RTT: shown, named, not judged', () => {
  // lan, 1.2 ms RTT: TLS 1.3's processing (2 ms, measured at zero RTT) is above 0.5 RTT; cleartext's (0.3 ms) is not.
  const withCpu = (f: Figure, cpu: number): Figure => ({ ...f, cpu_baseline_ms: cpu });
  const figs = [
    withCpu(fig('lan', 1.2, 'h1', 'none', 'new', 2.4 + 0.3, 2.4, 0.05), 0.3),
    withCpu(fig('lan', 1.2, 'h1', 'none', 'reused', 1.2, 1.2, 0.05), 0),
    withCpu(fig('lan', 1.2, 'h1', 'tls13', 'new', 3.6 + 2 + 1.5, 3.6, 0.05), 2),
    withCpu(fig('lan', 1.2, 'h1', 'tls13', 'reused', 1.2, 1.2, 0.05), 0),
  ];
  const s = handshakeSavings(figs).filter((x) => x.versus === 'new');
  const tls = s.find((x) => x.security === 'tls13');
  assert.equal(c1Match(tls!), 'cpu_bound', '2 ms of processing at 1.2 ms RTT');
  assert.equal(c1Match(s.find((x) => x.security === 'none')!), 'agrees');
  assert.match(MATCH_TEXT.cpu_bound, /not judged/);
  // Judged, the TLS case (1.5 ms above model + processing, > 0.25 RTT) would make C1 "depends".
  const v = verdictC1(handshakeSavings(figs));
  assert.equal(v.kind, 'confirmed');
  assert.equal(v.numbers.cases, 1);
  assert.equal(v.numbers.cases_not_judged_cpu_bound, 1);
  assert.match(
    v.figure,
    /1 case not judged, the processing at zero RTT above 0\.5 RTT \(HTTP\/1\.1 \+ TLS 1\.3 on lan: 2\.00 ms at 1\.20 ms RTT\)/,
  );
  assert.equal(v.evidence?.n, '1 case, n ≥ 10 requests each');
  // Only the TLS case: nothing left to judge, and the reason says why (not "needs a link that adds delay").
  const onlyTls = verdictC1(handshakeSavings(figs.filter((f) => f.security === 'tls13')));
  assert.equal(onlyTls.kind, 'depends');
  assert.match(onlyTls.reason ?? '', /processing, not its round trips, decides every case here/);
  assert.deepEqual(onlyTls.evidence, { n: 'n = 0 judged cases (1 measured)', strength: 'inconclusive' });
});
