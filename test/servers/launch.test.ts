import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHarnessAddress, startServer } from '../../servers/launch.ts';

test('servers listen only on loopback or the benchmarking range unless asked', async () => {
  for (const ok of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '198.18.0.2', '198.19.255.1'])
    assert.ok(isHarnessAddress(ok), ok);
  for (const bad of ['0.0.0.0', '10.0.0.1', '192.168.1.1', '198.20.0.1', '8.8.8.8', '::', 'example.com'])
    assert.ok(!isHarnessAddress(bad), bad);
  await assert.rejects(startServer({ host: '0.0.0.0' }), /refusing to listen on 0\.0\.0\.0/);
});
