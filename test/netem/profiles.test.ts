import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../lib/errors.ts';
import type { LinkParams } from '../../netem/link.ts';
import {
  getProfile,
  listProfiles,
  parseProfiles,
  parseRate,
  profileKey,
  validateLinkParams,
  type InlineLinkFlags,
} from '../../netem/profiles.ts';

const base: LinkParams = {
  rtt_ms: 50,
  jitter_ms: 0,
  loss_pct: 0,
  rate_mbit: null,
  queue_packets: null,
  mtu_bytes: 1500,
};

test('the named profiles exist, each with a source and valid parameters', () => {
  const names = listProfiles().map((p) => p.name);
  for (const n of ['loopback', 'lan', 'metro', 'wan', 'intercontinental', 'mobile-3g', 'lossy'])
    assert.ok(names.includes(n), n);
  for (const p of listProfiles()) {
    assert.ok(p.source.length > 20, `${p.name} says where its numbers come from`);
    validateLinkParams(p.params, p.name);
  }
  assert.equal(getProfile('loopback').params.rtt_ms, 0);
  assert.equal(getProfile('wan').params.rtt_ms, 50);
  assert.equal(getProfile('intercontinental').params.rtt_ms, 150);
  assert.deepEqual(getProfile('lossy').params, { ...getProfile('wan').params, loss_pct: 1 });
  const m = getProfile('mobile-3g').params;
  assert.ok(
    m.rtt_ms >= 100 &&
      m.rtt_ms <= 200 &&
      m.rate_mbit !== null &&
      m.rate_mbit >= 1 &&
      m.rate_mbit <= 2 &&
      m.loss_pct > 0,
  );
  assert.equal(getProfile(' WAN ').name, 'wan');
});

test('profiles handed out are copies: changing one does not change the table', () => {
  const p = getProfile('wan');
  p.params.rtt_ms = 999;
  assert.equal(getProfile('wan').params.rtt_ms, 50);
});

test('parseRate', () => {
  const cases: Array<[string, number]> = [
    ['20mbit', 20],
    ['500kbit', 0.5],
    ['1gbit', 1000],
    ['20', 20],
    ['1.5Mbit', 1.5],
    [' 8000bit ', 0.008],
  ];
  for (const [text, want] of cases) assert.ok(Math.abs(parseRate(text) - want) < 1e-12, `${text} → ${parseRate(text)}`);
  for (const bad of ['', 'fast', '20mbps', '-5mbit', '0', '0kbit', '1e3mbit', '20 m bit']) {
    assert.throws(() => parseRate(bad), UserError, bad);
  }
});

test('--profile a,b,c gives several profiles in order, without duplicates', () => {
  const ps = parseProfiles('lan, wan,intercontinental,wan', {});
  assert.deepEqual(
    ps.map((p) => p.name),
    ['lan', 'wan', 'intercontinental'],
  );
  assert.deepEqual(ps[1]?.params, getProfile('wan').params);
});

test('inline flags override a single named profile', () => {
  const [p, ...rest] = parseProfiles('wan', { loss: '0.5', rate: '20mbit', queue: '100' });
  assert.equal(rest.length, 0);
  assert.ok(p);
  assert.equal(p.name, 'wan(loss=0.5%,rate=20mbit,queue=100)');
  assert.deepEqual(p.params, { ...getProfile('wan').params, loss_pct: 0.5, rate_mbit: 20, queue_packets: 100 });
  assert.match(p.source, /overridden on the command line/);

  const [q] = parseProfiles('mobile-3g', { rate: 'none', loss: 0 });
  assert.equal(q?.params.rate_mbit, null);
  assert.equal(q?.params.loss_pct, 0);
  assert.equal(q?.params.rtt_ms, getProfile('mobile-3g').params.rtt_ms);
});

test('inline flags alone make a custom profile', () => {
  const flags: InlineLinkFlags = { rtt: '80', jitter: '2ms', loss: '0.5%', rate: '500kbit', mtu: '1400' };
  const [p] = parseProfiles('', flags);
  assert.ok(p);
  assert.equal(p.name, 'custom(rtt=80ms,jitter=2ms,loss=0.5%,rate=0.5mbit,mtu=1400)');
  assert.deepEqual(p.params, {
    rtt_ms: 80,
    jitter_ms: 2,
    loss_pct: 0.5,
    rate_mbit: 0.5,
    queue_packets: null,
    mtu_bytes: 1400,
  });
  const [r] = parseProfiles('', { rtt: 80, loss: 0.5 });
  assert.equal(r?.name, 'custom(rtt=80ms,loss=0.5%)');
  assert.equal(r?.params.jitter_ms, 0);
  assert.equal(r?.params.mtu_bytes, 1500);
});

test('every validation error is a one-line UserError that names the problem', () => {
  const cases: Array<{ spec: string; flags: InlineLinkFlags; match: RegExp }> = [
    { spec: 'moon', flags: {}, match: /unknown profile "moon"; known profiles: loopback, lan, metro, wan/ },
    { spec: 'wan,moon', flags: {}, match: /unknown profile "moon"/ },
    { spec: '', flags: {}, match: /no link profile given/ },
    { spec: '', flags: { rtt: '-1' }, match: /--rtt must be a non-negative number/ },
    { spec: '', flags: { rtt: 'abc' }, match: /--rtt must be a non-negative number.*"abc"/ },
    { spec: '', flags: { rtt: 'NaN' }, match: /--rtt must be a non-negative number/ },
    { spec: '', flags: { rtt: 'Infinity' }, match: /--rtt must be a non-negative number/ },
    { spec: 'wan', flags: { jitter: '-2' }, match: /--jitter must be a non-negative number/ },
    { spec: 'wan', flags: { loss: 'lots' }, match: /--loss must be a non-negative number/ },
    { spec: 'wan', flags: { loss: '-0.1' }, match: /--loss must be a non-negative number/ },
    { spec: 'wan', flags: { loss: '101' }, match: /--loss is a percentage and must be at most 100, got 101/ },
    { spec: 'wan', flags: { jitter: '26' }, match: /--jitter 26 ms is more than half the RTT/ },
    { spec: 'loopback', flags: { jitter: '1' }, match: /--jitter 1 ms is more than half the RTT/ },
    { spec: 'wan', flags: { rate: 'fast' }, match: /--rate "fast" is not a rate/ },
    { spec: 'wan', flags: { rate: '0' }, match: /--rate must be more than 0/ },
    { spec: 'wan', flags: { queue: '0' }, match: /--queue must be a whole number of packets, at least 1/ },
    { spec: 'wan', flags: { queue: '2.5' }, match: /--queue must be a whole number/ },
    { spec: 'wan', flags: { mtu: '575' }, match: /--mtu must be a whole number from 576 to 65535 bytes, got 575/ },
    { spec: 'wan', flags: { mtu: '65536' }, match: /--mtu must be a whole number from 576 to 65535 bytes, got 65536/ },
    { spec: 'wan', flags: { mtu: 'big' }, match: /--mtu must be a whole number of bytes/ },
    { spec: 'lan,wan', flags: { rtt: '80' }, match: /override a single profile, but --profile names 2/ },
  ];
  for (const c of cases) {
    assert.throws(
      () => parseProfiles(c.spec, c.flags),
      (e: unknown) => {
        assert.ok(e instanceof UserError, `${c.spec} ${JSON.stringify(c.flags)}: not a UserError: ${String(e)}`);
        assert.match(e.message, c.match);
        assert.ok(!e.message.includes('\n'), 'one line');
        return true;
      },
      `${c.spec} ${JSON.stringify(c.flags)}`,
    );
  }
});

test('edge values that are valid', () => {
  assert.equal(parseProfiles('wan', { jitter: '25' })[0]?.params.jitter_ms, 25);
  assert.equal(parseProfiles('wan', { loss: '100' })[0]?.params.loss_pct, 100);
  assert.equal(parseProfiles('wan', { mtu: '576' })[0]?.params.mtu_bytes, 576);
  assert.equal(parseProfiles('wan', { mtu: '65535' })[0]?.params.mtu_bytes, 65535);
  assert.equal(parseProfiles('wan', { rtt: '0', jitter: '0' })[0]?.params.rtt_ms, 0);
  // empty strings are flags not given (as from an unset CLI option)
  assert.deepEqual(parseProfiles('wan', { rtt: '', loss: '  ' })[0]?.name, 'wan');
});

test('profileKey is stable, compact, and depends on the parameters only', () => {
  assert.equal(profileKey(base), 'rtt=50ms;jitter=0ms;loss=0%;rate=inf;queue=default;mtu=1500');
  assert.equal(
    profileKey({ rtt_ms: 80, jitter_ms: 2, loss_pct: 0.5, rate_mbit: 20, queue_packets: 100, mtu_bytes: 1400 }),
    'rtt=80ms;jitter=2ms;loss=0.5%;rate=20mbit;queue=100;mtu=1400',
  );
  // the same parameters reached differently give the same key; float noise does not leak in
  assert.equal(profileKey(getProfile('wan').params), profileKey(parseProfiles('', { rtt: '50' })[0]!.params));
  assert.equal(profileKey({ ...base, loss_pct: 0.1 + 0.2 }), profileKey({ ...base, loss_pct: 0.3 }));
  assert.equal(profileKey({ ...base, rate_mbit: parseRate('500kbit') }), profileKey({ ...base, rate_mbit: 0.5 }));
  // every parameter changes it
  const variants: LinkParams[] = [
    { ...base, rtt_ms: 51 },
    { ...base, jitter_ms: 1 },
    { ...base, loss_pct: 1 },
    { ...base, rate_mbit: 10 },
    { ...base, queue_packets: 50 },
    { ...base, mtu_bytes: 9000 },
  ];
  const keys = new Set([profileKey(base), ...variants.map(profileKey)]);
  assert.equal(keys.size, variants.length + 1);
  // key order does not depend on object property order
  const shuffled = { mtu_bytes: 1500, queue_packets: null, rate_mbit: null, loss_pct: 0, jitter_ms: 0, rtt_ms: 50 };
  assert.equal(profileKey(shuffled), profileKey(base));
});
