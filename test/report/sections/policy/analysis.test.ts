import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policyFigures, verdictPolicyC7 } from '../../../../report/sections/policy/analysis.ts';
import { policyTable } from '../../../../report/sections/policy/view.ts';
import type { CsvRow } from '../../../../report/load-run.ts';

const idle = (trial: number, idle_close_ms: string, outcome = 'closed'): CsvRow => ({
  part: 'idle',
  profile: 'wan',
  trial: String(trial),
  status: '200',
  keep_alive_header: 'timeout=3',
  connection_header: 'keep-alive',
  idle_close_ms,
  cap: '300000',
  outcome,
});
const rows: CsvRow[] = [
  idle(1, '3010.5'),
  idle(2, '3011.0'),
  idle(3, '3009.0'),
  { part: 'connection_close', outcome: 'honoured', idle_close_ms: '0.2', cap: '2000' },
  { part: 'max_requests', requests: '100', cap: '100', outcome: 'open_at_cap' },
];

test('policy figures: idle close median and spread, headers, Connection: close, requests per connection', () => {
  const f = policyFigures(rows);
  assert.ok(f);
  assert.equal(f.idle.closed, 3);
  assert.equal(f.idle.close_ms.median, 3010.5);
  assert.deepEqual([f.idle.min_ms, f.idle.max_ms], [3009, 3011]);
  assert.equal(f.keep_alive_header, 'timeout=3');
  assert.equal(f.honours_connection_close, true);
  assert.deepEqual(f.max_requests, { served: 100, cap: 100, at_cap: true });
  const table = policyTable(f);
  assert.deepEqual(table.rows[0], ['idle timeout (FIN after the last response)', '3.01 s (3.01 s–3.01 s, n = 3 of 3)']);
  assert.deepEqual(table.rows[4], ['requests served on one connection', '≥ 100 (still open at the cap)']);
  assert.equal(policyFigures([]), null);
});

test('policy C7: confirmed below tcp_keepalive_time, depends with no close or a partial one, refuted past it', () => {
  const f = policyFigures(rows);
  const v = verdictPolicyC7(f, 7200);
  assert.equal(v.kind, 'confirmed');
  assert.match(v.figure, /closes idle connections after 3\.01 s .*first probe after 7200 s/);
  assert.equal(verdictPolicyC7(f, 2).kind, 'refuted');
  const open = policyFigures([idle(1, '', 'open_at_cap'), idle(2, '', 'open_at_cap')]);
  const d = verdictPolicyC7(open);
  assert.equal(d.kind, 'depends');
  assert.match(d.reason ?? '', /kept every idle connection open for the whole watch \(300\.00 s\)/);
  assert.equal(verdictPolicyC7(policyFigures([idle(1, '3000'), idle(2, '', 'error')])).kind, 'depends');
  assert.equal(verdictPolicyC7(null).kind, 'depends');
});

test('policy C7 evidence: closes tenfold below the probe are strong at n = 3; within 10× they need 5 connections', () => {
  const f = policyFigures(rows);
  // 3.01 s against 7200 s (nginx keepalive_timeout 3s): the margin settles it.
  const v = verdictPolicyC7(f, 7200);
  assert.deepEqual(v.evidence, { n: 'n = 3 idle connections, all closed', strength: 'strong' });
  assert.equal(v.numbers.probe_over_close_ratio, 2391.2);
  // Against a 20 s probe: below it, but not tenfold, and 3 connections are too few for a bound of the median.
  const near = verdictPolicyC7(f, 20);
  assert.equal(near.kind, 'confirmed');
  assert.deepEqual(near.evidence, { n: 'n = 3 idle connections, all closed', strength: 'inconclusive' });
  const five = policyFigures([1, 2, 3, 4, 5].map((i) => idle(i, String(3000 + i))));
  assert.deepEqual(verdictPolicyC7(five, 20).evidence, { n: 'n = 5 idle connections, all closed', strength: 'strong' });
  // Refuted: past a 2 s probe (not tenfold: inconclusive); past a 0.2 s probe (tenfold: strong).
  assert.equal(verdictPolicyC7(f, 2).evidence?.strength, 'inconclusive');
  assert.equal(verdictPolicyC7(f, 0.2).evidence?.strength, 'strong');
  // "depends" still names its n.
  const open = policyFigures([idle(1, '', 'open_at_cap'), idle(2, '', 'open_at_cap')]);
  assert.deepEqual(verdictPolicyC7(open).evidence, { n: 'n = 2 idle connections, 0 closed', strength: 'inconclusive' });
  const partial = verdictPolicyC7(policyFigures([idle(1, '3000'), idle(2, '', 'error')]));
  assert.deepEqual(partial.evidence, { n: 'n = 2 idle connections, 1 closed', strength: 'inconclusive' });
  assert.deepEqual(verdictPolicyC7(null).evidence, { n: 'n = 0 idle connections', strength: 'inconclusive' });
});
