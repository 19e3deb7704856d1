import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  microTasks,
  twoMethods,
  twoMethodsCaveat,
  twoMethodsTable,
} from '../../../../report/sections/handshake/micro.ts';
import { withInProcessCpu } from '../../../../report/sections/cost/section.ts';
import { fig } from './figures.ts';

const row = (protocol: string, security: string, conn_mode: string, mean: number, moe: number, cpu: number) => ({
  profile: 'loopback',
  protocol,
  security,
  conn_mode,
  state: 'completed',
  samples: '100',
  wall_mean_ms: String(mean),
  wall_moe_ms: String(moe),
  cpu_per_op_ms: String(cpu),
});

// Through the link at zero RTT: cleartext saves 0.60 ms [0.10–1.10]; TLS 1.3 saves 3.00 ms [2.50–3.50].
const zero = [
  fig('loopback', 0, 'h1', 'none', 'new', 0.9, 0, 0.25),
  fig('loopback', 0, 'h1', 'none', 'reused', 0.3, 0, 0.25),
  fig('loopback', 0, 'h1', 'tls13', 'new', 3.3, 0, 0.25),
  fig('loopback', 0, 'h1', 'tls13', 'reused', 0.3, 0, 0.25),
  fig('wan', 50, 'h1', 'none', 'new', 100.9, 100, 0.25),
];

test('two methods: in-process differences beside the zero-RTT link savings; they agree when the intervals overlap', () => {
  const tasks = microTasks([
    row('h1', 'none', 'new', 0.27, 0.02, 0.39),
    row('h1', 'none', 'reused', 0.05, 0.01, 0.07),
    row('h1', 'tls13', 'new', 2.4, 0.05, 2.5),
    row('h1', 'tls13', 'reused', 0.07, 0.01, 0.08),
    { ...row('h2', 'none', 'new', 1, 1, 1), state: 'errored', wall_mean_ms: '' },
  ]);
  assert.equal(tasks.length, 4, 'an errored task is not a figure');
  const list = twoMethods(zero, tasks);
  assert.deepEqual(
    list.map((m) => [
      m.security,
      m.agree,
      Math.round(m.inproc_ms * 1000) / 1000,
      Math.round((m.link_ms ?? 0) * 1000) / 1000,
    ]),
    [
      ['none', true, 0.22, 0.6],
      ['tls13', false, 2.33, 3],
    ],
  );
  assert.ok(Math.abs(list[1]!.inproc_moe_ms - Math.hypot(0.05, 0.01)) < 1e-12);
  assert.ok(Math.abs((list[0]!.cpu_ms ?? 0) - 0.32) < 1e-12);
  assert.equal(twoMethodsTable(list).rows.length, 2);
  assert.match(
    twoMethodsCaveat(list) ?? '',
    /they agree \(intervals overlap\) for 1 of 2 cases; they differ for HTTP\/1\.1 \+ TLS 1\.3: link 3\.00 ms vs in-process 2\.33 ms ± 0\.051 ms/,
  );
  assert.equal(twoMethodsCaveat(twoMethods(zero.slice(4), tasks)), null, 'no zero-RTT profile: nothing to compare');
});

test("C11's CPU ratio gets the in-process ratio beside it, and says whether the two methods agree", () => {
  const tasks = microTasks([row('h1', 'none', 'new', 0.27, 0.02, 0.4), row('h1', 'none', 'reused', 0.05, 0.01, 0.08)]);
  const c11 = {
    claim: 'C11',
    kind: 'refuted' as const,
    figure: 'churn 1.71×',
    numbers: { cpu_ratio_median: 1.71 },
    rule: '',
  };
  /** C11's figure after the in-process ratio is set beside a churn ratio of churn_ratio. */
  const c11With = (churn_ratio: number, inProcess = tasks): string =>
    withInProcessCpu(
      {
        claimSentence: '',
        verdicts: [{ ...c11, numbers: { cpu_ratio_median: churn_ratio } }],
        specs: [],
        tables: [],
        caveats: [],
      },
      inProcess,
    ).verdicts[0]?.figure ?? '';
  const out = withInProcessCpu({ claimSentence: '', verdicts: [c11], specs: [], tables: [], caveats: [] }, tasks);
  assert.match(
    out.verdicts[0]?.figure ?? '',
    /^churn 1\.71×; in-process \(tinybench, .*\): a request on a new HTTP\/1\.1 connection cost 5\.00× the CPU of one on a kept-alive connection \(0\.400 vs 0\.080 ms\); both methods: keep-alive costs less CPU per request$/,
  );
  assert.equal(out.verdicts[0]?.numbers.inprocess_cpu_ratio_h1, 5);
  assert.match(c11With(0.9), /the two methods disagree on which costs less$/);
  const cheaperWithout = microTasks([
    row('h1', 'none', 'new', 0.2, 0.01, 0.08),
    row('h1', 'none', 'reused', 0.05, 0.01, 0.1),
  ]);
  assert.match(c11With(0.9, cheaperWithout), /both methods: keep-alive costs no less CPU per request$/);
});
