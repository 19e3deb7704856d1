import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flowIdleSeconds, parseDrops, restoreScript } from '../../netem/conntrack-controls.ts';
import { directionCounters } from '../../netem/tc.ts';

test('restoreScript: creation writes the four drop chains once and hooks the link chains in; off drops nothing', () => {
  assert.equal(
    restoreScript('kabx', { flow_idle_s: null, blackhole: false }, true),
    [
      '*filter',
      ':KAB_IN - [0:0]',
      ':KAB_OUT - [0:0]',
      ':KAB_IDLE_UP - [0:0]',
      ':KAB_IDLE_DOWN - [0:0]',
      ':KAB_BLACKHOLE_UP - [0:0]',
      ':KAB_BLACKHOLE_DOWN - [0:0]',
      '-A KAB_IDLE_UP -m conntrack --ctstate INVALID -m comment --comment idle_up -j DROP',
      '-A KAB_IDLE_DOWN -m conntrack --ctstate INVALID -m comment --comment idle_down -j DROP',
      '-A KAB_BLACKHOLE_UP -m comment --comment blackhole_up -j DROP',
      '-A KAB_BLACKHOLE_DOWN -m comment --comment blackhole_down -j DROP',
      '-A INPUT -i kabx -j KAB_IN',
      '-A OUTPUT -o kabx -j KAB_OUT',
      '-A KAB_IN -m conntrack --ctstate INVALID -j ACCEPT',
      '-A KAB_OUT -m conntrack --ctstate INVALID -j ACCEPT',
      'COMMIT',
      '',
    ].join('\n'),
  );
});

test('restoreScript: a change of state rewrites only the link chains, jumping to the drop chains that apply', () => {
  const s = restoreScript('kabx', { flow_idle_s: 4, blackhole: true }, false);
  assert.deepEqual(
    s.split('\n').filter((l) => l.startsWith(':')),
    [':KAB_IN - [0:0]', ':KAB_OUT - [0:0]'],
    'the drop chains (and their counters) are not declared, so not flushed',
  );
  assert.deepEqual(
    s.split('\n').filter((l) => l.startsWith('-A')),
    [
      '-A KAB_IN -j KAB_BLACKHOLE_UP',
      '-A KAB_IN -j KAB_IDLE_UP',
      '-A KAB_OUT -j KAB_BLACKHOLE_DOWN',
      '-A KAB_OUT -j KAB_IDLE_DOWN',
    ],
  );
});

test('parseDrops reads the named rules of iptables-save -c; flowIdleSeconds rounds up to whole seconds', () => {
  const save = [
    '*filter',
    ':KAB_IN - [0:0]',
    '[12:720] -A INPUT -i kabx -j KAB_IN',
    '[3:180] -A KAB_IDLE_UP -m conntrack --ctstate INVALID -m comment --comment idle_up -j DROP',
    '[7:420] -A KAB_BLACKHOLE_DOWN -m comment --comment blackhole_down -j DROP',
    '[9:100] -A KAB_OUT -m conntrack --ctstate INVALID -j ACCEPT',
    '[5:300] -A KAB_OUT -j KAB_IDLE_DOWN',
    'COMMIT',
  ].join('\n');
  assert.deepEqual(parseDrops(save), { idle_up: 3, idle_down: 0, blackhole_up: 0, blackhole_down: 7 });
  assert.equal(flowIdleSeconds(4000), 4);
  assert.equal(flowIdleSeconds(300), 1);
  assert.equal(flowIdleSeconds(4001), 5);
  assert.throws(() => flowIdleSeconds(0), RangeError);
});

test('tc directionCounters: netem drops are loss, tbf drops the queue, the device gives packets, bytes and its own drops', () => {
  const qdisc = JSON.stringify([
    // netem counts the 4 its tbf child refused among its own 55
    { kind: 'netem', handle: '1:', drops: 55, packets: 1000 },
    { kind: 'tbf', handle: '10:', drops: 4, packets: 945 },
  ]);
  const link = JSON.stringify([{ ifname: 'kabx', stats64: { tx: { packets: 945, bytes: 1_400_000, dropped: 2 } } }]);
  assert.deepEqual(directionCounters(qdisc, link), {
    packets: 945,
    bytes: 1_400_000,
    dropped_loss: 51,
    dropped_queue: 4,
    dropped_idle: 0,
    dropped_blackhole: 0,
    dropped_device: 2,
  });
});
