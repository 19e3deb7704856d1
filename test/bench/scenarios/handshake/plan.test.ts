import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handshakeCases } from '../../../../bench/scenarios/handshake/scenario.ts';

test('handshake cases: every protocol × security with new/reused, resumption only with TLS, Connection: close only on h1', () => {
  const keys = handshakeCases().map((c) => `${c.protocol}/${c.security}/${c.conn_mode}`);
  assert.equal(new Set(keys).size, keys.length);
  for (const v of ['h1/none', 'h1/tls12', 'h1/tls13', 'h2/none', 'h2/tls13']) {
    assert.ok(keys.includes(`${v}/new`) && keys.includes(`${v}/reused`), v);
  }
  assert.ok(!keys.some((k) => k.endsWith('none/resumed')));
  assert.ok(!keys.some((k) => k.startsWith('h2/') && k.endsWith('/server_close')));
});
