/**
 * action.yml: valid against GitHub's schema (action-validator), and its own steps, run on this machine by
 * scripts/gate/run-action-locally.ts against nginx: red when the head stops keeping connections alive
 * (keepalive_timeout 0), green for two runs of the same config (in three tries: an A/A pair the machine
 * slowed in between is refused, and may be refused only for that).
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

/** What a failed assertion shows: the gate's own summary (its reasons) and the end of the log. */
function explain(r: { result: LocalResult; log: string }): string {
  let summary = '(no step summary)';
  try {
    summary = readFileSync(r.result.step_summary, 'utf8').split('### Regressions')[0] ?? '';
  } catch {
    // the step that writes it never ran: the log says why
  }
  return `${summary}\n--- log (end) ---\n${r.log.slice(-2000)}`;
}

interface CompareJson {
  verdict: string;
  counts: { regressed: number };
  lost_cases: unknown[];
  case_failures: Array<{ errors_base: number; errors_head: number }>;
  reasons: Array<{ rule: string; blocking: boolean }>;
  not_comparable: Array<{ reasons: Array<{ rule: string }> }>;
}

/**
 * Two runs of one config that the gate did not pass: nothing regressed, failed or went missing; what blocked it
 * is only the link drifting beyond what a correction is trusted for, or too little power to call it unchanged.
 */
function assertOnlyTheMachineMoved(a: { result: LocalResult }, why: string): void {
  const c = JSON.parse(readFileSync(a.result.outputs['compare-json']!, 'utf8')) as CompareJson;
  assert.ok(['fail', 'underpowered'].includes(c.verdict), why);
  assert.equal(c.counts.regressed, 0, why);
  assert.deepEqual(c.lost_cases, [], why);
  assert.ok(
    c.case_failures.every((f) => f.errors_head === 0 && f.errors_base === 0),
    why,
  );
  const blocking = c.reasons.filter((r) => r.blocking).map((r) => r.rule);
  assert.ok(
    blocking.every((r) => ['not_comparable', 'nothing_compared', 'underpowered'].includes(r)),
    `${blocking.join(',')}: ${why}`,
  );
  const linkRules = c.not_comparable.flatMap((n) => n.reasons.map((r) => r.rule));
  assert.ok(
    linkRules.every((r) => r === 'in_run_rtt' || r === 'calibrated_rtt'),
    `${linkRules.join(',')}: ${why}`,
  );
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
  'the action, run locally against nginx: red when the head drops keep-alive, green for the same config twice (in three tries, each refusal only for the machine)',
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
    assert.equal(red.code, 1, explain(red));
    assert.equal(red.result.status, 'failure');
    assert.deepEqual([red.result.outputs.verdict, red.result.outputs['exit-code']], ['fail', '1']);
    assert.match(red.log, /::error::keepalive-bench gate failed: fail/);
    const redSummary = readFileSync(red.result.step_summary, 'utf8');
    assert.match(redSummary, /### Gate: ❌ \*\*fail\*\* \(exit 1\)/);
    assert.match(redSummary, /conn_mode=reused[^\n]*: 0 \(base\) → \d+ \(head\) failed/);
    const compareJson = JSON.parse(readFileSync(red.result.outputs['compare-json']!, 'utf8')) as { verdict: string };
    assert.equal(compareJson.verdict, 'fail');

    // A/A on a shared 2-core VM: the machine itself may slow between the two runs (an in-run link 32 % slower
    // on the head's side, every case with it, was seen here), and the gate then rightly refuses to call it
    // green. Such an attempt must be refused only for that; one of three must pass.
    const attempts: string[] = [];
    let green: ReturnType<typeof runAction> | null = null;
    for (let i = 1; i <= 3 && green === null; i++) {
      const a = runAction(join(dir, `green-${i}`), keep, keep);
      const verdict = a.result.outputs.verdict ?? '';
      attempts.push(`attempt ${i}: ${verdict} (exit ${a.code})`);
      if (a.code === 0) {
        green = a;
        break;
      }
      assertOnlyTheMachineMoved(a, explain(a));
    }
    t.diagnostic(attempts.join('; '));
    assert.ok(green, `the same config twice was never green: ${attempts.join('; ')}`);
    assert.deepEqual(
      [green.result.status, green.result.outputs.verdict, green.result.outputs['exit-code']],
      ['success', 'pass', '0'],
    );
    assert.match(readFileSync(green.result.step_summary, 'utf8'), /### Gate: ✅ \*\*pass\*\* \(exit 0\)/);
    assert.match(green.log, /nothing left behind/, 'the cleanup step ran');
  },
);
