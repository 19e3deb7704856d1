import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LB_IDLE_TIMEOUT_MAX_MS, parseLbIdleTimeout } from '../../bench/server-command-flags.ts';
import { UserError } from '../../lib/errors.ts';

test('--lb-idle-timeout: a duration in ms, s (the default unit) or m, from 100 ms to 10 min', () => {
  assert.equal(parseLbIdleTimeout(undefined), null);
  assert.equal(parseLbIdleTimeout('60s'), 60_000);
  assert.equal(parseLbIdleTimeout('60'), 60_000);
  assert.equal(parseLbIdleTimeout('1.5s'), 1_500);
  assert.equal(parseLbIdleTimeout('500ms'), 500);
  assert.equal(parseLbIdleTimeout('2m'), 120_000);
  assert.equal(parseLbIdleTimeout('10m'), LB_IDLE_TIMEOUT_MAX_MS);
  for (const bad of ['0', '99ms', '10.5m', '-5s', '5 h', 's', '', '1e3'])
    assert.throws(() => parseLbIdleTimeout(bad), UserError, bad);
});
