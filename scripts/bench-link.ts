/**
 * Benchmark of the tun link backend (not a test): the highest TCP throughput it carries at 1 ms RTT, the
 * delay line's CPU use at 100 Mbit/s, and calibration-style figures (TCP connect time at 50 ms RTT, 1 % loss
 * over 10 000 datagrams).   Run as root: `npx tsx scripts/bench-link.ts [--runs N]`. The probe agents it runs
 * inside each namespace are netem/link-probe.ts.
 */
import { quantileSorted } from '../lib/stats.ts';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { LinkParams } from '../netem/link.ts';
import { wholeNumberFlag } from '../lib/flag-numbers.ts';
import { LinkProbe, median } from '../netem/link-probe.ts';
import { versionHelp, parseCliArgs, runMain } from './cli.ts';
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
}

const CLK_TCK = 100;

function spread(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const sd = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, s.length - 1));
  return `mean ${mean.toFixed(1)}, median ${median(s).toFixed(1)}, min ${s[0]?.toFixed(1)}, max ${s[s.length - 1]?.toFixed(1)}, sd ${sd.toFixed(1)} (n=${s.length})`;
}

const HELP = `node --import tsx scripts/bench-link.ts [--runs N]   (as root)

Benchmarks the tun link backend (not a test): TCP throughput at 1 ms RTT, the delay line's CPU at 100 Mbit/s,
connect times at 0 and 50 ms RTT, 1 % loss over 10 000 datagrams; prints them, then all figures as JSON.
  --runs N     bulk transfers per throughput figure (default 5)
  -h, --help   this help
  ${versionHelp(13)}`;

async function runBench(argv: string[]): Promise<number> {
  const { values: v } = parseCliArgs({
    args: argv,
    options: { runs: { type: 'string' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
  });
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const runs = wholeNumberFlag('runs', v.runs, 5, { min: 1, max: 100 });
  const { openTunLink } = await import('../netem/tun.ts');
  const { newRunId } = await import('../netem/topology.ts');
  const base: LinkParams = {
    rtt_ms: 1,
    jitter_ms: 0,
    loss_pct: 0,
    rate_mbit: null,
    queue_packets: null,
    mtu_bytes: 1500,
  };
  const link = await openTunLink({ runId: newRunId(), params: base });
  const onSignal = () => void link.close().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let probe: LinkProbe | undefined;
  try {
    probe = await LinkProbe.start(link);
    const results: Record<string, unknown> = {};

    // 1. Throughput ceiling at 1 ms RTT, no rate limit.
    const size_bytes = 200 * 1024 * 1024;
    const tput: number[] = [];
    const cpu1: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const c0 = cpuTicks(link.delayLinePid);
      const r = await probe.bulk(size_bytes, 120_000);
      cpu1.push(((cpuTicks(link.delayLinePid) - c0) / CLK_TCK / ((performance.now() - t0) / 1000)) * 100);
      tput.push(r.goodput_mbit);
    }
    console.log(`throughput @1 ms RTT, no rate limit, ${size_bytes / 2 ** 20} MiB bulk: ${spread(tput)} Mbit/s`);
    console.log(`  delay-line CPU during those transfers: ${spread(cpu1)} % of one core`);
    results.throughput_1ms_mbit = tput;
    results.cpu_at_max_pct = cpu1;

    // 2. CPU at a 100 Mbit/s profile.
    await link.configure({ ...base, rtt_ms: 20, rate_mbit: 100 });
    const cpu100: number[] = [];
    const tput100: number[] = [];
    for (let i = 0; i < Math.min(runs, 3); i++) {
      const t0 = performance.now();
      const c0 = cpuTicks(link.delayLinePid);
      const r = await probe.bulk(60 * 1024 * 1024, 60_000);
      cpu100.push(((cpuTicks(link.delayLinePid) - c0) / CLK_TCK / ((performance.now() - t0) / 1000)) * 100);
      tput100.push(r.goodput_mbit);
    }
    console.log(
      `100 Mbit/s, 20 ms RTT, 60 MiB bulk: goodput ${spread(tput100)} Mbit/s; delay-line CPU ${spread(cpu100)} % of one core`,
    );
    results.cpu_at_100mbit_pct = cpu100;
    results.goodput_at_100mbit = tput100;

    // 3. Connect time at 50 ms RTT, beside the same at 0 ms (what the endpoints themselves take).
    const connectStats = async (rtt_ms: number) => {
      await link.configure({ ...base, rtt_ms });
      await link.releaseLateness(true);
      const ct = await probe!.connectTimes(60, 5);
      const s = [...ct.times_ms].sort((a, b) => a - b);
      if (s.length === 0) throw new Error(`no TCP connect succeeded at ${rtt_ms} ms RTT (${ct.failures} failures)`);
      const late = await link.releaseLateness();
      console.log(
        `connect @${rtt_ms} ms RTT: median ${median(s).toFixed(3)} ms, p99 ${quantileSorted(s, 0.99).toFixed(3)} ms, min ${s[0]?.toFixed(3)}, max ${s[s.length - 1]?.toFixed(3)} (n=${s.length}, failures ${ct.failures}); delay-line release lateness p50 ${late.p50_us.toFixed(0)} µs, p99 ${late.p99_us.toFixed(0)} µs, max ${late.max_us.toFixed(0)} µs`,
      );
      return { median: median(s), p99: quantileSorted(s, 0.99), n: s.length, lateness: late };
    };
    results.connect_0ms = await connectStats(0);
    results.connect_50ms = await connectStats(50);

    // 4. 1 % loss over 10 000 datagrams.
    await link.configure({ ...base, rtt_ms: 2, loss_pct: 1 });
    const before = await link.counters();
    const u = await probe.udpDelivery(10_000, 300, 50, 5);
    const after = await link.counters();
    const dropped = (after?.up.dropped_loss ?? 0) - (before?.up.dropped_loss ?? 0);
    const loss = (100 * (u.sent - u.received)) / u.sent;
    console.log(
      `1 % loss: sent ${u.sent}, received ${u.received} → measured ${loss.toFixed(2)} % (delay line counted ${dropped} loss drops)`,
    );
    results.loss_1pct = { sent: u.sent, received: u.received, measured_pct: loss };
    console.log(JSON.stringify(results));
  } finally {
    await probe?.stop();
    await link.close();
  }
  return 0;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) runMain(() => runBench(process.argv.slice(2)));
