import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinCases, pairProfiles, renameProfile } from '../../../report/compare/join.ts';
import { runCases } from '../../../report/compare/run-cases.ts';
import { caseKeyOf, fakeRun, LAN_KEY, type FakeRunOptions } from './fake-run.ts';

const M = ['total_ms'];
const cases = (modes: string[]): FakeRunOptions['cases'] => modes.map((mode) => ({ mode, values: [1, 2, 3] }));
const rc = (o: FakeRunOptions) => runCases(fakeRun(o), M);

test('runCases drops warm-ups, counts failures, keeps the rest by case key', () => {
  const r = runCases(fakeRun({ run_id: 'a', cases: [{ mode: 'new', values: [4, 5, 6], errors: 2 }] }), M);
  const c = r.cases.get(caseKeyOf('new'));
  assert.ok(c);
  assert.equal(c.rows.length, 3); // the warm-up row (999 ms) is not among them
  assert.ok(c.rows.every((row) => row.total_ms !== '999'));
  assert.equal(c.errors, 2);
  assert.equal(c.profile_key, LAN_KEY);
  assert.equal(c.rtt_ms_calibrated, 1.1);
  assert.deepEqual(r.profiles, ['lan']);
});

test('joinCases: same keys join; cases of one side only are kept with the other side empty', () => {
  const base = [rc({ run_id: 'b', cases: cases(['new', 'reused', 'resumed']) })];
  const head = [rc({ run_id: 'h', cases: cases(['reused', 'new', 'server_close']) })];
  const { cases: joined, profile_pairs } = joinCases(base, head);
  assert.deepEqual(profile_pairs, [{ base: 'lan', head: 'lan', by: 'name' }]);
  // base order first, then head-only cases
  assert.deepEqual(
    joined.map((j) => [j.key, j.base.length, j.head.length]),
    [
      [caseKeyOf('new'), 1, 1],
      [caseKeyOf('reused'), 1, 1],
      [caseKeyOf('resumed'), 1, 0],
      [caseKeyOf('server_close'), 0, 1],
    ],
  );
});

test('joinCases with several runs per side collects one CaseRun per run', () => {
  const base = ['b1', 'b2', 'b3'].map((id) => rc({ run_id: id, cases: cases(['new']) }));
  const head = ['h1', 'h2'].map((id) => rc({ run_id: id, cases: cases(['new']) }));
  const [j] = joinCases(base, head).cases;
  assert.deepEqual(
    j?.base.map((c) => c.run_id),
    ['b1', 'b2', 'b3'],
  );
  assert.deepEqual(
    j?.head.map((c) => c.run_id),
    ['h1', 'h2'],
  );
});

test('renameProfile swaps only the trailing profile segment', () => {
  assert.equal(renameProfile(caseKeyOf('new', 'lan(rtt=2ms)'), 'lan(rtt=2ms)', 'lan'), caseKeyOf('new', 'lan'));
  assert.equal(renameProfile('x/profile=lan/y', 'lan', 'wan'), 'x/profile=lan/y');
});

test('pairProfiles: by name, then by identical parameters, then the only one left', () => {
  const mk = (id: string, profile: string, key: string | null) =>
    rc({ run_id: id, profile, key, cases: cases(['new']) });
  assert.deepEqual(pairProfiles([mk('b', 'lan', LAN_KEY)], [mk('h', 'lan', 'other')]), [
    { base: 'lan', head: 'lan', by: 'name' },
  ]);
  assert.deepEqual(pairProfiles([mk('b', 'lan', LAN_KEY)], [mk('h', 'custom(rtt=1ms)', LAN_KEY)]), [
    { base: 'lan', head: 'custom(rtt=1ms)', by: 'parameters' },
  ]);
  assert.deepEqual(pairProfiles([mk('b', 'lan', LAN_KEY)], [mk('h', 'lan(rtt=2ms)', 'rtt=2ms')]), [
    { base: 'lan', head: 'lan(rtt=2ms)', by: 'only-remaining' },
  ]);
  assert.deepEqual(pairProfiles([mk('b', 'lan', LAN_KEY)], [mk('h', 'lan(rtt=2ms)', null)]), [
    { base: 'lan', head: 'lan(rtt=2ms)', by: 'only-remaining' },
  ]);
});

test('pairProfiles leaves ambiguous leftovers unpaired, so their cases are one-sided', () => {
  const two = (id: string, a: string, b: string) => {
    const r1 = fakeRun({ run_id: id, profile: a, key: `${a}-key`, cases: cases(['new']) });
    const r2 = fakeRun({ run_id: id, profile: b, key: `${b}-key`, cases: cases(['new']) });
    return runCases(
      {
        ...r1,
        meta: { ...r1.meta, profiles: [...(r1.meta.profiles as unknown[]), ...(r2.meta.profiles as unknown[])] },
        samples: [...r1.samples, ...r2.samples],
      },
      M,
    );
  };
  const base = [two('b', 'lan', 'wan')];
  const head = [two('h', 'metro', 'mobile')];
  assert.deepEqual(base[0]?.profiles, ['lan', 'wan']);
  assert.deepEqual(pairProfiles(base, head), []);
  const joined = joinCases(base, head).cases;
  assert.equal(joined.length, 4);
  assert.ok(joined.every((j) => j.base.length === 0 || j.head.length === 0));
});

test('a head profile paired with a differently named base profile joins under the base key', () => {
  const base = [rc({ run_id: 'b', cases: cases(['new', 'reused']) })];
  const head = [
    rc({
      run_id: 'h',
      profile: 'lan(rtt=2ms)',
      key: 'rtt=2ms;jitter=0ms;loss=0%;rate=inf;queue=default;mtu=1500',
      cases: cases(['new', 'reused']),
    }),
  ];
  const joined = joinCases(base, head).cases;
  assert.equal(joined.length, 2);
  for (const j of joined) {
    assert.equal(j.base.length, 1);
    assert.equal(j.head.length, 1);
    assert.match(j.head_case_key ?? '', /profile=lan\(rtt=2ms\)$/);
    assert.match(j.key, /profile=lan$/);
  }
});
