import { test } from 'node:test';
import assert from 'node:assert/strict';
import { savingsInRtt } from '../../scripts/link-parity.ts';

const row = (conn_mode: string, median: string, lo: string, hi: string) => ({
  scenario: 'handshake',
  metric: 'total_ms',
  protocol: 'h1',
  security: 'tls12',
  profile: 'wan',
  conn_mode,
  median,
  ci95_low: lo,
  ci95_high: hi,
  rtt_ms_calibrated: '50',
});

test('link parity: the saving in ms and RTTs, and its CI half-width from the two medians (hand-computed)', () => {
  const s = savingsInRtt([row('new', '210', '207', '213'), row('reused', '60', '56', '64')]);
  assert.equal(s.saving_ms['h1+tls12'], 150);
  assert.equal(s.saving_rtt['h1+tls12'], 3);
  // √(3² + 4²) = 5
  assert.equal(s.saving_halfwidth_ms['h1+tls12'], 5);
  const noCi = savingsInRtt([row('new', '210', '', ''), row('reused', '60', '56', '64')]);
  assert.equal(noCi.saving_halfwidth_ms['h1+tls12'], null);
});
