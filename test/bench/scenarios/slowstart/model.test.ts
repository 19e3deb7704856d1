import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  caseFromTags,
  cwndAfterIdle,
  cwndAfterTransfer,
  linuxRtoMs,
  slowstartCaseModel,
  slowstartModel,
  startWindowSegments,
  h2Model,
  windowLimitedRounds,
} from '../../../../bench/scenarios/slowstart/model.ts';
import { keyOf, variantOf, WARMUP_BYTES } from '../../../../bench/scenarios/slowstart/plan.ts';
import { cold1M } from '../../../helpers/slowstart.ts';

test('slowstart model: rounds for cold, warm and idle starts, and the initial window', () => {
  // 1 MiB = 725 segments; from 10: 10+20+40+80+160+320 = 630 < 725 → 7 rounds; + handshake = 8 RTTs.
  assert.equal(slowstartModel(cold1M, 50, null).total_rtts, 8);
  assert.equal(slowstartModel(cold1M, 50, null).total_ms, 400);
  // 100 KiB = 71 segments: IW 4 → 5 rounds, IW 10 → 4 (10+20+40 = 70 < 71), IW 32 → 2.
  const iw = (n: number): number =>
    slowstartModel({ ...cold1M, size_bytes: 102400, initcwnd_segments: n }, 50, null).total_rtts;
  assert.deepEqual([iw(4), iw(10), iw(32)], [6, 5, 3]);
  // Warm: the window the 1 MiB warm-up left is 10 + 725; a 1 MiB response then fits in one round.
  assert.equal(cwndAfterTransfer(10, WARMUP_BYTES), 735);
  assert.equal(slowstartModel({ ...cold1M, state: 'warm' }, 50, null).total_rtts, 1);
  // Idle: Linux halves once per RTO of the server's idle time (client gap + 1 RTT), not below initcwnd.
  assert.equal(linuxRtoMs(50), 250);
  assert.equal(cwndAfterIdle(735, 10, 1050, 250), 45); // 4 halvings — what ss showed on the tun link (727 → 45)
  assert.equal(cwndAfterIdle(735, 10, 200, 250), 735); // shorter than the RTO: untouched
  assert.equal(cwndAfterIdle(735, 10, 5050, 250), 10); // long idle: back to initcwnd
  const idle = { ...cold1M, state: 'idle' as const, idle_ms: 1000 };
  assert.equal(startWindowSegments(idle, 50), 45);
  assert.equal(startWindowSegments({ ...idle, ssai: 0 }, 50), 735, 'ssai=0 keeps the window');
  assert.equal(startWindowSegments({ ...idle, cc: 'bbr' }, 50), 735, 'bbr is exempt from slow start after idle');
  // 45, 90, 180, 360 → 675 < 725 → 5 rounds.
  assert.equal(slowstartModel(idle, 50, null).total_rtts, 5);
  // A rate makes rounds overlap with the transfer: 1 MiB at 100 Mbit/s takes ≥ 83.9 ms of serialization.
  const rated = slowstartModel({ ...cold1M, state: 'warm' }, 50, 100);
  assert.ok(rated.transfer_ms > 83 && rated.transfer_ms < 84);
  assert.throws(() => cwndAfterIdle(10, 10, 100, 0), RangeError);
});

test('slowstart model from summary tags (CASE_MODELS entry)', () => {
  const c = {
    state: 'cold' as const,
    idle_ms: 0,
    cc: 'reno',
    ssai: 1 as const,
    iw: 10,
    size_bytes: 1048576,
    part: 'size' as const,
    protocol: 'h1' as const,
    h2_window_bytes: null,
    warmup_bytes: WARMUP_BYTES,
  };
  const tags = {
    scenario: 'slowstart',
    variant: variantOf(c),
    size_bytes: '1048576',
    protocol: 'h1',
    rtt_ms_calibrated: '50',
    rtt_ms_configured: '50',
    rate_mbit_configured: '',
  };
  assert.equal(tags.variant, 'part=size;state=cold;cc=reno;ssai=1;iw=10');
  assert.equal(slowstartCaseModel(tags, 'total_ms'), 400);
  assert.equal(slowstartCaseModel(tags, 'ttfb_ms'), 100);
  assert.equal(slowstartCaseModel(tags, 'connect_ms'), 50);
  const idleTags = { ...tags, variant: variantOf({ ...c, state: 'idle', idle_ms: 1000 }) };
  assert.equal(caseFromTags(idleTags)?.warmup_bytes, WARMUP_BYTES);
  assert.equal(slowstartCaseModel(idleTags, 'total_ms'), 250);
  // h2 with Node's default 64 KiB window: at most 65 535 bytes per round trip → 17 rounds for 1 MiB even when warm.
  assert.equal(windowLimitedRounds(1048576, 735, 65535), 17);
  assert.equal(windowLimitedRounds(1048576, 10, 16777215), 7, 'a large window leaves TCP slow start as the limit');
  assert.equal(windowLimitedRounds(1, 10, 65535), 1);
  const h2Warm = {
    ...tags,
    protocol: 'h2',
    variant: variantOf({ ...c, part: 'h2', protocol: 'h2', state: 'warm', h2_window_bytes: 65535 }),
  };
  assert.equal(slowstartCaseModel(h2Warm, 'total_ms'), 17 * 50);
  assert.equal(slowstartCaseModel({ ...h2Warm, variant: h2Warm.variant.replace('65535', '16777215') }, 'total_ms'), 50);
  // cold: 14 480 + 28 960 + 57 920 bytes in 3 slow-start rounds, then 65 535 per round: 18 rounds + handshake.
  assert.equal(h2Model({ ...cold1M, state: 'cold' }, 65535, 50, null).total_rtts, 19);
  assert.equal(slowstartCaseModel({ ...tags, variant: '' }, 'total_ms'), null);
  assert.equal(
    keyOf(c, 'wan'),
    'slowstart/part=size/protocol=h1/state=cold/cc=reno/ssai=1/iw=10/size_bytes=1048576/profile=wan',
  );
});
