/**
 * The tc backend live, on a kernel with sch_netem: test/netem/tc-live.test.ts runs this file directly where
 * this machine's kernel has netem, else inside the user-mode kernel (test/helpers/uml/run.ts). Never skips:
 * a kernel without netem here is a failure. One CPU under user-mode Linux, so every bound is statistical —
 * a median over many connects, a loss rate over 20 000 datagrams against 4 σ — and the precise figures belong
 * to `npm run bench-link` and the parity script.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LinkParams } from '../../../netem/link.ts';
import { openTcLink, tcNetemUnavailableReason } from '../../../netem/tc.ts';
import { newRunId, recordPath, run } from '../../../netem/topology.ts';
import { LinkProbe, median } from '../../../netem/link-probe.ts';
import { runCli, startCli, type CliResult } from '../../helpers/run-cli.ts';
import { allKabObjects, alive, leftovers, measuredRows, waitFor, waitForRunFolder } from '../../helpers/run-state.ts';

const base: LinkParams = {
  rtt_ms: 0,
  jitter_ms: 0,
  loss_pct: 0,
  rate_mbit: null,
  queue_packets: null,
  mtu_bytes: 1500,
};

test('this kernel has sch_netem (else the live tc tests cannot run)', async () => {
  assert.equal(await tcNetemUnavailableReason(), null);
});

/**
 * One link for every link-level check (opening one costs ~15 s under user-mode Linux: two probe agents start):
 * each subtest sets the parameters it needs with configure(), as a run's profiles do.
 */
test('tc link live', async (t) => {
  const runId = newRunId();
  const link = await openTcLink({ runId, params: { ...base, rtt_ms: 50, rate_mbit: 20 } });
  const ns = { c: `kab-${runId}-c`, s: `kab-${runId}-s` };
  let probe: LinkProbe | undefined;
  try {
    probe = await LinkProbe.start(link);
    const p = probe;

    await t.test(
      'open puts netem on both ends (half the RTT each) with a tbf child for the rate, and pins the neighbours',
      async () => {
        assert.equal(link.backend, 'tc');
        for (const side of [ns.c, ns.s]) {
          const q = await run(['tc', '-n', side, 'qdisc', 'show']);
          assert.match(q, /qdisc netem 1: .*delay 25ms/, q);
          assert.match(q, /qdisc tbf 10: dev \S+ parent 1:1 rate 20Mbit/, q);
        }
        for (const side of [ns.c, ns.s]) {
          // No ARP across the lossy link: a lost request would stall the first packets for a second.
          const neigh = await run(['ip', '-n', side, 'neigh', 'show']);
          assert.match(neigh, /^198\.18\.\S+ dev \S+ lladdr \S+ PERMANENT\s*$/m, `${side}: ${neigh}`);
        }
        assert.ok(link.controls, 'iptables and conntrack give the tc link its controls');
        assert.ok(allKabObjects().some((o) => o.includes(runId)));
      },
    );

    await t.test('20 Mbit/s → 4 MB bulk goodput within 15 %', async (st) => {
      await link.configure({ ...base, rtt_ms: 20, rate_mbit: 20 });
      const r = await p.bulk(4_000_000, 60_000);
      st.diagnostic(`4 MB in ${r.transfer_ms.toFixed(0)} ms: ${r.goodput_mbit.toFixed(2)} Mbit/s`);
      assert.equal(r.bytes, 4_000_000);
      assert.ok(Math.abs(r.goodput_mbit - 20) <= 3, `goodput ${r.goodput_mbit} Mbit/s`);
    });

    await t.test(
      '20 ms RTT → connect median in [19.5, 25] ms over 40; configure() moves it to 60 ms and drops the rate',
      async (st) => {
        await link.configure({ ...base, rtt_ms: 20, rate_mbit: 50 });
        const a = await p.connectTimes(40);
        const m20 = median(a.times_ms);
        st.diagnostic(`connect @20 ms: median ${m20.toFixed(3)} ms over ${a.times_ms.length}`);
        assert.equal(a.failures, 0);
        assert.ok(m20 >= 19.5 && m20 <= 25, `median ${m20}`);
        await link.configure({ ...base, rtt_ms: 60 });
        const b = await p.connectTimes(20);
        const m60 = median(b.times_ms);
        st.diagnostic(`connect @60 ms: median ${m60.toFixed(3)} ms`);
        assert.ok(m60 >= 59.5 && m60 <= 66, `median ${m60}`);
        assert.doesNotMatch(
          await run(['tc', '-n', ns.s, 'qdisc', 'show']),
          /tbf/,
          'the rate went away with its tbf child',
        );
      },
    );

    await t.test('5 % loss over 20 000 UDP datagrams within 4 σ, and netem counts every drop', async (st) => {
      await link.configure({ ...base, rtt_ms: 2, loss_pct: 5 });
      const before = await link.counters();
      const u = await p.udpDelivery(20_000, 500, 50, 5);
      const after = await link.counters();
      const counted = (after?.up.dropped_loss ?? 0) - (before?.up.dropped_loss ?? 0);
      const sigma = Math.sqrt(u.sent * 0.05 * 0.95);
      st.diagnostic(
        `sent ${u.sent}: netem dropped ${counted} (${((100 * counted) / u.sent).toFixed(2)} %), the receiver missed ${u.sent - u.received}; expected ${u.sent * 0.05} ± ${(4 * sigma).toFixed(0)} (4 σ)`,
      );
      assert.equal(u.sent, 20_000);
      assert.ok(Math.abs(counted - u.sent * 0.05) <= 4 * sigma, `netem dropped ${counted}`);
      assert.ok(
        u.sent - u.received >= counted - 5,
        `the receiver missed ${u.sent - u.received}, fewer than netem dropped`,
      );
    });

    await t.test('the flow idle timeout (conntrack) stalls an idle connection while a new one works', async () => {
      await link.configure({ ...base, rtt_ms: 10 });
      assert.ok(link.controls);
      const old = await p.open();
      assert.equal((await p.echo(old, 2_000)).echoed, true);
      await link.controls.setFlowIdleTimeout(1_000);
      assert.equal((await p.echo(old, 2_000)).echoed, true, 'known flow, not idle: passes');
      await new Promise((r) => setTimeout(r, 2_500));
      assert.equal((await p.echo(old, 1_500)).echoed, false, 'idle longer than the timeout: no data gets through');
      const fresh = await p.open();
      assert.equal((await p.echo(fresh, 2_000)).echoed, true, 'a new connection works');
      const c = await link.counters();
      assert.ok((c?.up.dropped_idle ?? 0) >= 1, JSON.stringify(c));
      await link.controls.setFlowIdleTimeout(null);
      await p.closeConn(fresh);
    });

    await t.test('blackhole makes a connect time out, and switching it off restores the link', async () => {
      assert.ok(link.controls);
      assert.equal((await p.connectOnce(1_000)).connected, true);
      await link.controls.setBlackhole(true);
      assert.equal((await p.connectOnce(1_000)).connected, false);
      const c = await link.counters();
      assert.ok((c?.up.dropped_blackhole ?? 0) >= 1, JSON.stringify(c));
      await link.controls.setBlackhole(false);
      assert.equal((await p.connectOnce(1_000)).connected, true);
    });
  } finally {
    await probe?.stop();
    await link.close();
  }
  assert.deepEqual(leftovers(runId), [], 'close leaves nothing of the run');
  assert.ok(!existsSync(recordPath(runId)));
});

test('bench on tc: a wan handshake run calibrates the link at 50 ms and saves ~1 RTT with keep-alive', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'kab-tc-bench-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const r = await runCli(
    'bench',
    ['--link', 'tc', '--quick', '--scenario', 'handshake', '--profile', 'wan', '--requests', '5', '--out', out],
    300_000,
  );
  assert.equal(r.code, 0, r.stderr);
  const meta = JSON.parse(readFileSync(join(out, 'latest', 'meta.json'), 'utf8')) as {
    link: { backend: string };
    congestion_control: string;
    profiles: Array<{ name: string; calibration: { rtt_ms_calibrated: number; link_adds_ms?: number | null } }>;
  };
  assert.equal(meta.link.backend, 'tc');
  const wan = meta.profiles.find((p) => p.name === 'wan');
  t.diagnostic(`calibrated ${wan?.calibration.rtt_ms_calibrated} ms, congestion control ${meta.congestion_control}`);
  assert.ok(
    wan && wan.calibration.rtt_ms_calibrated >= 50 && wan.calibration.rtt_ms_calibrated <= 56,
    JSON.stringify(wan?.calibration),
  );
  // The headline's h1 row: "… saving ms  saving RTT  model RTT …"; 5 requests under one CPU: 0.9–1.2 RTT.
  const h1 = /^wan\s+h1\s.*\s(\d+\.\d+) RTT\s+1\.00 RTT/m.exec(r.stdout);
  assert.ok(h1, r.stdout);
  assert.ok(Number(h1[1]) >= 0.9 && Number(h1[1]) <= 1.2, `h1 saving ${h1[1]} RTT`);
  assert.deepEqual(allKabObjects(), []);
});

async function startLong(t: TestContext): Promise<{
  child: ReturnType<typeof startCli>['child'];
  done: ReturnType<typeof startCli>['done'];
  runDir: string;
  runId: string;
}> {
  const out = mkdtempSync(join(tmpdir(), 'kab-tc-sig-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const { child, done } = startCli('bench', [
    '--link',
    'tc',
    '--scenario',
    'handshake',
    '--profile',
    'lan',
    '--requests',
    '400',
    '--out',
    out,
  ]);
  t.after(() => child.kill('SIGKILL'));
  let ended: CliResult | null = null;
  void done.then((r) => (ended = r));
  let printed = '';
  child.stderr?.on('data', (d: string) => (printed += d));
  const runDir = await waitForRunFolder(out, 60_000);
  const runId = (JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as { run_id: string }).run_id;
  // A run that ends or stalls before 20 samples says why: what it printed goes into the failure.
  await waitFor('20 samples', () => measuredRows(runDir) >= 20 || ended !== null, 180_000).catch((e: Error) => {
    throw new Error(`${e.message} (${measuredRows(runDir)} so far); the run printed:\n${printed.slice(-3000)}`);
  });
  if (ended !== null) {
    const r: CliResult = ended;
    assert.fail(`the run ended (exit ${r.code}) after ${measuredRows(runDir)} samples:\n${r.stderr.slice(-3000)}`);
  }
  return { child, done, runDir, runId };
}

test('bench on tc: SIGINT mid-case exits 130 and removes everything', async (t) => {
  const { child, done, runId } = await startLong(t);
  assert.ok(leftovers(runId).length > 0, 'the run has its namespaces while it runs');
  child.kill('SIGINT');
  const r = await done;
  assert.equal(r.code, 130, r.stderr);
  assert.deepEqual(leftovers(runId), []);
});

test('bench on tc: SIGKILL mid-case leaves namespaces that `npm run clean` removes', async (t) => {
  const { child, done, runDir, runId } = await startLong(t);
  child.kill('SIGKILL');
  await done;
  const meta = JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as { processes?: Array<{ pid: number }> };
  await waitFor('children to exit', () => (meta.processes ?? []).every((p) => !alive(p.pid)), 15_000);
  const clean = await runCli('clean', [], 120_000);
  assert.equal(clean.code, 0, clean.stderr);
  assert.deepEqual(leftovers(runId), []);
  assert.deepEqual(allKabObjects(), []);
});
