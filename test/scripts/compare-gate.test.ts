/**
 * The compare gate end to end on the tun link: a small base run, a head whose server closes every connection
 * after one response (reuse broken), and a head on a slower link; compare must go red on each, for the right
 * cases and the right reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePrivileged } from '../helpers/privileged.ts';
import { runCli } from '../helpers/run-cli.ts';

const SMALL = ['--quick', '--scenario', 'handshake', '--link', 'tun', '--requests', '12'];

interface CaseJson {
  case_key: string;
  metric: string;
  verdict: string;
}

interface CompareJson {
  verdict: string;
  exit_code: number;
  reasons: Array<{ rule: string; subject: string; figure: string; blocking: boolean }>;
  cases: CaseJson[];
}

async function bench(out: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await runCli('bench', [...SMALL, ...args, '--out', out], 180_000, env);
  assert.equal(r.code, 0, r.stderr);
  return join(out, 'latest');
}

async function compare(
  base: string,
  head: string,
  out: string,
  extra: string[] = [],
): Promise<{ code: number | null; json: CompareJson }> {
  const r = await runCli('compare', [base, head, '--out', out, ...extra]);
  return { code: r.code, json: JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as CompareJson };
}

test(
  'gate on the tun link: broken connection reuse and a slower link both go red, for the cases they touch',
  { timeout: 600_000 },
  async (t) => {
    if (!requirePrivileged(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'kab-gate-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const base = await bench(join(dir, 'base'), ['--profile', 'wan']);

    // A server change that answers Connection: close (h1) / GOAWAY (h2) after every response.
    const closing = await bench(join(dir, 'close'), ['--profile', 'wan'], { KAB_SERVER_CLOSE_EVERY_RESPONSE: '1' });
    const reuse = await compare(base, closing, join(dir, 'cmp-close'));
    assert.equal(reuse.code, 1);
    assert.equal(reuse.json.verdict, 'fail');
    const failing = reuse.json.reasons.filter((r) => r.rule === 'failures').map((r) => r.subject);
    assert.equal(failing.length, 5, JSON.stringify(reuse.json.reasons));
    for (const key of failing) assert.match(key, /conn_mode=reused/);
    assert.ok(reuse.json.reasons.every((r) => r.rule !== 'regression'));
    const fresh = reuse.json.cases.filter((c) => c.case_key.includes('conn_mode=new'));
    assert.equal(fresh.length, 10);
    for (const c of fresh) assert.equal(c.verdict, 'no_change', `${c.case_key} ${c.metric}`);

    // The same server over a link 20 % slower (60 ms instead of 50): every case regressed (forced: the link differs on purpose).
    const slower = await bench(join(dir, 'slow'), ['--profile', 'wan', '--rtt', '60']);
    const refused = await compare(base, slower, join(dir, 'cmp-slow-refused'));
    assert.equal(refused.code, 1);
    assert.ok(
      refused.json.reasons.some(
        (r) =>
          r.rule === 'not_comparable' && /profile parameters: rtt=50ms \(base\) vs rtt=60ms \(head\)/.test(r.figure),
      ),
    );
    const forced = await compare(base, slower, join(dir, 'cmp-slow'), ['--force-comparable']);
    assert.equal(forced.code, 1);
    assert.deepEqual([...new Set(forced.json.cases.map((c) => c.verdict))], ['regressed']);
    assert.equal(forced.json.cases.length, 20);
  },
);
