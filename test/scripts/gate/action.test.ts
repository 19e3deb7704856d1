/**
 * action.yml: valid against GitHub's schema (action-validator), and its own steps, run on this machine by
 * scripts/gate/run-action-locally.ts against nginx: red when the head stops keeping connections alive
 * (keepalive_timeout 0), green for two runs of the same config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../../helpers/run-cli.ts';
import { requirePrivileged, requireProgram } from '../../helpers/privileged.ts';
import { NGINX, nginxConf } from '../../helpers/nginx.ts';

const VALIDATOR = join(REPO, 'node_modules', '.bin', 'action-validator');

test("action.yml validates against GitHub's action schema; a broken copy does not", (t) => {
  const ok = spawnSync(VALIDATOR, [join(REPO, 'action.yml')], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'kab-action-yml-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const broken = join(dir, 'action.yml');
  writeFileSync(broken, readFileSync(join(REPO, 'action.yml'), 'utf8').replace('using: composite', 'using: compost'));
  const bad = spawnSync(VALIDATOR, [broken], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0, 'the validator rejects an action it cannot run');
});

interface LocalResult {
  status: string;
  outputs: Record<string, string>;
  step_summary: string;
}

function runAction(
  work: string,
  base: string,
  head: string,
): { code: number | null; result: LocalResult; log: string } {
  const input = (kv: string): string[] => ['--input', kv];
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/gate/run-action-locally.ts',
      '--work',
      work,
      ...input(`base-server-command=${NGINX} -c ${base}`),
      ...input(`head-server-command=${NGINX} -c ${head}`),
      ...input('server-port=8080'),
      ...input('path=/small'),
      ...input('profiles=lan'),
      ...input('link=tun'),
    ],
    { cwd: REPO, encoding: 'utf8', timeout: 300_000 },
  );
  return {
    code: r.status,
    result: JSON.parse(readFileSync(join(work, 'result.json'), 'utf8')) as LocalResult,
    log: r.stdout + r.stderr,
  };
}

test(
  'the action, run locally against nginx: red when the head drops keep-alive, green for the same config twice',
  { timeout: 600_000 },
  (t) => {
    if (!requirePrivileged(t) || !requireProgram(t, NGINX, 'nginx-light')) return;
    const dir = mkdtempSync(join(tmpdir(), 'kab-action-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    chmodSync(dir, 0o755);
    for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
    const keep = nginxConf(dir, '3s');
    const off = nginxConf(dir, '0');

    const red = runAction(join(dir, 'red'), keep, off);
    assert.equal(red.code, 1, red.log.slice(-3000));
    assert.equal(red.result.status, 'failure');
    assert.deepEqual([red.result.outputs.verdict, red.result.outputs['exit-code']], ['fail', '1']);
    assert.match(red.log, /::error::keepalive-bench gate failed: fail/);
    const redSummary = readFileSync(red.result.step_summary, 'utf8');
    assert.match(redSummary, /### Gate: ❌ \*\*fail\*\* \(exit 1\)/);
    assert.match(redSummary, /conn_mode=reused[^\n]*: 0 \(base\) → \d+ \(head\) failed/);
    const compareJson = JSON.parse(readFileSync(red.result.outputs['compare-json']!, 'utf8')) as { verdict: string };
    assert.equal(compareJson.verdict, 'fail');

    const green = runAction(join(dir, 'green'), keep, keep);
    assert.equal(green.code, 0, green.log.slice(-3000));
    assert.deepEqual(
      [green.result.status, green.result.outputs.verdict, green.result.outputs['exit-code']],
      ['success', 'pass', '0'],
    );
    assert.match(readFileSync(green.result.step_summary, 'utf8'), /### Gate: ✅ \*\*pass\*\* \(exit 0\)/);
    assert.match(green.log, /nothing left behind/, 'the cleanup step ran');
  },
);
