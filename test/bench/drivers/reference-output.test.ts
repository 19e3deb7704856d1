import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseH2loadRps, parseWrkRps } from '../../../bench/drivers/load/reference-output.ts';

test('h2load and wrk summaries give their requests per second; anything else is an error, not a zero', () => {
  const h2load = `starting benchmark...
finished in 3.00s, 35123.45 req/s, 4.56MB/s
requests: 105370 total, 105370 started, 105370 done, 105370 succeeded, 0 failed, 0 errored, 0 timeout`;
  assert.equal(parseH2loadRps(h2load), 35123.45);
  assert.equal(parseH2loadRps('finished in 812.55ms, 1230.70 req/s, 1.2MB/s'), 1230.7);
  const wrk = `Running 3s test @ http://127.0.0.1:8080/bytes/100
  1 threads and 16 connections
  105370 requests in 3.00s, 14.07MB read
Requests/sec:  35123.45
Transfer/sec:      4.69MB`;
  assert.equal(parseWrkRps(wrk), 35123.45);
  assert.throws(() => parseH2loadRps('connect error'), /could not read h2load/);
  assert.throws(() => parseWrkRps(''), /could not read wrk/);
});
