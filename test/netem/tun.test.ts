import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import type { LinkParams } from '../../netem/link.ts';
import { DelayLineCore, handleControl, type Direction } from '../../netem/tun-delay-line.ts';
import { openTunLink, tunUnavailableReason, type TunLink } from '../../netem/tun.ts';
import {
  listLinks,
  listNetns,
  newRunId,
  recordPath,
  removeOwnershipRecord,
  run,
  writeOwnershipRecord,
} from '../../netem/topology.ts';
import { tsEntryArgv } from '../../lib/child.ts';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { UserError } from '../../lib/errors.ts';
import { requirePrivileged } from '../helpers/privileged.ts';
import { LinkProbe, median } from '../../netem/link-probe.ts';

const base: LinkParams = {
  rtt_ms: 0,
  jitter_ms: 0,
  loss_pct: 0,
  rate_mbit: null,
  queue_packets: null,
  mtu_bytes: 1500,
};

/** A minimal IPv4 + TCP/UDP header (enough for the flow table). */
function ipPacket(o: {
  proto: 'tcp' | 'udp';
  src: number;
  dst: number;
  sport: number;
  dport: number;
  flags?: number;
  size?: number;
}): Buffer {
  const b = Buffer.alloc(o.size ?? 60);
  b[0] = 0x45;
  b[9] = o.proto === 'tcp' ? 6 : 17;
  b.writeUInt32BE(o.src, 12);
  b.writeUInt32BE(o.dst, 16);
  b.writeUInt16BE(o.sport, 20);
  b.writeUInt16BE(o.dport, 22);
  if (o.proto === 'tcp') b[33] = o.flags ?? 0x10;
  return b;
}
const C = 0xc6120001; // 198.18.0.1
const S = 0xc6120002; // 198.18.0.2
const SYN = 0x02;
const ACK = 0x10;

function collect(core: DelayLineCore, now_ms: number): Array<{ dir: Direction; data: Buffer }> {
  const out: Array<{ dir: Direction; data: Buffer }> = [];
  core.release(now_ms, (dir, data) => out.push({ dir, data }));
  return out;
}

// ----- The delay line's scheduling, with a fake clock -----

test('delay line: each direction gets rtt/2, released no earlier', () => {
  const core = new DelayLineCore({ ...base, rtt_ms: 20 });
  const p = Buffer.from('hello, packet');
  assert.ok(core.arrive('up', p, p.length, 100));
  assert.ok(core.arrive('down', p, 5, 103));
  assert.equal(core.nextDue_ms(), 110);
  assert.deepEqual(collect(core, 109.999), []);
  const out = collect(core, 110);
  assert.equal(out.length, 1);
  assert.equal(out[0]?.dir, 'up');
  assert.equal(out[0]?.data.toString(), 'hello, packet');
  assert.equal(core.nextDue_ms(), 113);
  assert.equal(collect(core, 200)[0]?.data.toString(), 'hello');
  assert.equal(core.nextDue_ms(), null);
  const c = core.counters();
  assert.deepEqual([c.up.packets, c.up.bytes, c.down.packets, c.down.bytes], [1, 13, 1, 5]);
});

test('delay line: jitter varies the one-way delay uniformly within ±jitter', () => {
  const core = new DelayLineCore({ ...base, rtt_ms: 20, jitter_ms: 5 });
  // Arrivals 20 ms apart: no packet is ever held back by the one before it.
  const delays: number[] = [];
  for (let i = 0; i < 2000; i++) {
    core.arrive('up', Buffer.alloc(1), 1, i * 20);
    delays.push((core.nextDue_ms() as number) - i * 20);
    core.release(i * 20 + 19, () => undefined);
  }
  const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
  assert.ok(Math.abs(mean - 10) < 0.3, `mean one-way delay ${mean}`);
  assert.ok(Math.min(...delays) >= 5 && Math.max(...delays) <= 15, 'within rtt/2 ± jitter');
  assert.ok(
    delays.filter((d) => d < 6).length > 100 && delays.filter((d) => d > 14).length > 100,
    'spread over the range',
  );
});

test('delay line: jitter never reorders packets', () => {
  const core = new DelayLineCore({ ...base, rtt_ms: 20, jitter_ms: 5 });
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(i);
    core.arrive('up', b, 4, i * 0.05);
  }
  let expected = 0;
  let lastT = -1;
  for (let t = 0; t < 200; t += 0.01) {
    core.release(t, (_d, data) => {
      assert.equal(data.readUInt32BE(0), expected, 'released in arrival order');
      const delay = t - expected * 0.05;
      assert.ok(delay >= 5 - 1e-9 && delay <= 15.02, `one-way delay ${delay}`);
      assert.ok(t >= lastT, 'release times never decrease');
      lastT = t;
      expected++;
    });
  }
  assert.equal(expected, 2000);
});

test('delay line: Bernoulli loss drops about loss_pct', () => {
  const core = new DelayLineCore({ ...base, loss_pct: 10 });
  const p = Buffer.alloc(100);
  let accepted = 0;
  for (let i = 0; i < 100_000; i++) if (core.arrive('down', p, 100, i)) accepted++;
  const lost = 100_000 - accepted;
  assert.ok(Math.abs(lost / 1000 - 10) < 0.5, `lost ${lost / 1000} %`);
  assert.equal(core.counters().down.dropped_loss, lost);
  assert.equal(core.counters().up.packets, 0);
});

test('delay line: the rate limit serializes packets and drops beyond the queue', () => {
  // 8 Mbit/s = 1 byte per µs: a 1000-byte packet takes 1 ms.
  const core = new DelayLineCore({ ...base, rtt_ms: 10, rate_mbit: 8, queue_packets: 3 });
  const p = Buffer.alloc(1000);
  const accepted = [0, 1, 2, 3, 4].map(() => core.arrive('up', p, 1000, 0));
  assert.deepEqual(accepted, [true, true, true, false, false]);
  assert.equal(core.counters().up.dropped_queue, 2);
  const times: number[] = [];
  for (let t = 0; t <= 20; t += 0.001) core.release(t, () => times.push(Math.round(t * 1000) / 1000));
  assert.deepEqual(times, [6, 7, 8]);
  // Once the bottleneck has drained, the queue accepts again; a packet arriving after an idle spell is not delayed by old ones.
  assert.ok(core.arrive('up', p, 1000, 50));
  assert.equal(core.nextDue_ms(), 56);
  // Default queue (null) is 1000 packets.
  const big = new DelayLineCore({ ...base, rate_mbit: 1 });
  let ok = 0;
  for (let i = 0; i < 1100; i++) if (big.arrive('down', p, 1000, 0)) ok++;
  assert.equal(ok, 1000);
});

test('delay line: flow idle timeout forgets idle flows like a NAT', () => {
  const core = new DelayLineCore({ ...base });
  const a = (flags: number, dir: Direction = 'up') =>
    dir === 'up'
      ? ipPacket({ proto: 'tcp', src: C, dst: S, sport: 40000, dport: 80, flags })
      : ipPacket({ proto: 'tcp', src: S, dst: C, sport: 80, dport: 40000, flags });
  const send = (pkt: Buffer, dir: Direction, t: number) => core.arrive(dir, pkt, pkt.length, t);
  assert.ok(send(a(ACK), 'up', 0), 'no timeout: everything passes');
  core.setIdleTimeout(1000);
  assert.ok(send(a(ACK, 'down'), 'down', 500), 'a flow seen before the timeout was set is known (either direction)');
  assert.ok(send(a(ACK), 'up', 1400));
  assert.ok(!send(a(ACK), 'up', 2500), 'idle 1100 ms > 1000 ms: dropped');
  assert.ok(!send(a(ACK, 'down'), 'down', 2501), 'and forgotten: its next packet is an unknown flow');
  assert.equal(core.counters().up.dropped_idle, 1);
  assert.equal(core.counters().down.dropped_idle, 1);
  // A new connection (SYN) works, including the server's reply.
  const b = ipPacket({ proto: 'tcp', src: C, dst: S, sport: 40001, dport: 80, flags: SYN });
  const bReply = ipPacket({ proto: 'tcp', src: S, dst: C, sport: 80, dport: 40001, flags: SYN | ACK });
  assert.ok(send(b, 'up', 2600));
  assert.ok(send(bReply, 'down', 2610));
  // A SYN-ACK or a data packet cannot open a flow; a SYN on the forgotten 5-tuple can.
  assert.ok(!send(ipPacket({ proto: 'tcp', src: S, dst: C, sport: 80, dport: 40002, flags: SYN | ACK }), 'down', 2700));
  assert.ok(send(a(SYN), 'up', 2800));
  assert.ok(send(a(ACK, 'down'), 'down', 2801));
  // UDP: the client side opens a mapping, the server side cannot.
  assert.ok(!send(ipPacket({ proto: 'udp', src: S, dst: C, sport: 53, dport: 5000 }), 'down', 3000));
  assert.ok(send(ipPacket({ proto: 'udp', src: C, dst: S, sport: 5000, dport: 53 }), 'up', 3001));
  assert.ok(send(ipPacket({ proto: 'udp', src: S, dst: C, sport: 53, dport: 5000 }), 'down', 3002));
  // Non-TCP/UDP always passes; switching the timeout off lets everything through again.
  const icmp = ipPacket({ proto: 'tcp', src: C, dst: S, sport: 0, dport: 0 });
  icmp[9] = 1;
  assert.ok(send(icmp, 'up', 9000));
  core.setIdleTimeout(null);
  assert.ok(send(a(ACK), 'up', 99_000));
});

test('delay line: blackhole drops new and held packets, counted', () => {
  const core = new DelayLineCore({ ...base, rtt_ms: 10 });
  const p = Buffer.alloc(50);
  assert.ok(core.arrive('up', p, 50, 0));
  core.setBlackhole(true);
  assert.ok(!core.arrive('down', p, 50, 1));
  assert.deepEqual(collect(core, 100), []);
  assert.equal(core.counters().up.dropped_blackhole, 1);
  assert.equal(core.counters().down.dropped_blackhole, 1);
  core.setBlackhole(false);
  assert.ok(core.arrive('up', p, 50, 200));
  assert.equal(collect(core, 205).length, 1);
});

test('delay line control protocol validates requests', () => {
  const core = new DelayLineCore({ ...base });
  assert.deepEqual(handleControl(core, { id: 1, op: 'configure', params: { ...base, rtt_ms: 30 } }), {
    id: 1,
    ok: true,
  });
  const bad = handleControl(core, { id: 2, op: 'configure', params: { ...base, loss_pct: 101 } });
  assert.equal(bad.ok, false);
  assert.match(String(bad.error), /loss_pct/);
  assert.equal(handleControl(core, { id: 3, op: 'idle_timeout', ms: -5 }).ok, false);
  assert.equal(handleControl(core, { id: 4, op: 'idle_timeout', ms: null }).ok, true);
  assert.equal(handleControl(core, { id: 5, op: 'blackhole', on: 'yes' }).ok, false);
  assert.equal(handleControl(core, { id: 6, op: 'nope' }).ok, false);
  const c = handleControl(core, { id: 7, op: 'counters' }) as Record<string, unknown>;
  assert.deepEqual(Object.keys(c.counters as object), ['up', 'down']);
  core.arrive('up', Buffer.alloc(1), 1, 0);
  core.release(20, () => undefined);
  const l = handleControl(core, { id: 8, op: 'lateness', reset: true }) as Record<string, unknown>;
  assert.deepEqual(l.release_lateness, { samples: 1, p50_us: 5000, p99_us: 5000, max_us: 5000 });
  assert.equal(
    (
      (handleControl(core, { id: 9, op: 'lateness' }) as Record<string, unknown>).release_lateness as {
        samples: number;
      }
    ).samples,
    0,
  );
  // configure took effect: a packet now waits 15 ms.
  core.arrive('up', Buffer.alloc(1), 1, 0);
  assert.equal(core.nextDue_ms(), 15);
});

// ----- The real link -----

async function withLink(
  t: TestContext,
  params: LinkParams,
  fn: (link: TunLink, probe: LinkProbe) => Promise<void>,
): Promise<void> {
  const link = await openTunLink({ runId: newRunId(), params });
  let probe: LinkProbe | undefined;
  try {
    probe = await LinkProbe.start(link);
    await fn(link, probe);
  } finally {
    await probe?.stop();
    await link.close();
  }
}

test('tunUnavailableReason is null here (root, /dev/net/tun)', (t) => {
  if (!requirePrivileged(t)) return;
  assert.equal(tunUnavailableReason(), null);
});

test('the delay line exits by itself on stdin EOF (taking its devices) and dies on SIGTERM', async (t) => {
  if (!requirePrivileged(t)) return;
  const script = fileURLToPath(new URL('../../netem/tun-delay-line.ts', import.meta.url));
  for (const how of ['eof', 'sigterm'] as const) {
    const id = newRunId();
    const devs = [`kab${id}c`, `kab${id}s`];
    await writeOwnershipRecord(id, [], devs);
    const [file, ...args] = tsEntryArgv(script, [...devs, JSON.stringify({ ...base, rtt_ms: 5 })]);
    const child = execa(file as string, args, {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
    });
    try {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      const first = await new Promise<string>((resolve) => lines.once('line', resolve));
      const ready = JSON.parse(first) as { ready: boolean; pid: number };
      assert.equal(ready.ready, true);
      assert.equal(ready.pid, child.pid);
      const links = await listLinks();
      assert.ok(
        devs.every((d) => links.includes(d)),
        'both TUN devices exist while it runs',
      );
      child.stdin?.write('{"id":1,"op":"counters"}\n');
      const reply = JSON.parse(await new Promise<string>((resolve) => lines.once('line', resolve))) as {
        id: number;
        ok: boolean;
      };
      assert.deepEqual([reply.id, reply.ok], [1, true]);
      const t0 = Date.now();
      if (how === 'eof') child.stdin?.end();
      else child.kill('SIGTERM');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 3_000);
      const r = await child;
      clearTimeout(timeout);
      t.diagnostic(`${how}: gone after ${Date.now() - t0} ms`);
      if (how === 'eof') assert.equal(r.exitCode, 0);
      else assert.equal(r.signal, 'SIGTERM');
      const after = await listLinks();
      assert.ok(!devs.some((d) => after.includes(d)), 'its devices are gone');
    } finally {
      child.kill('SIGKILL');
      await child;
      await removeOwnershipRecord(id);
    }
  }
});

test('openTunLink rejects bad parameters with a UserError and leaves nothing', async (t) => {
  if (!requirePrivileged(t)) return;
  const runId = newRunId();
  await assert.rejects(openTunLink({ runId, params: { ...base, loss_pct: -1 } }), UserError);
  assert.ok(!(await listNetns()).some((n) => n.includes(runId)));
  assert.ok(!existsSync(recordPath(runId)));
});

test('tun link: 20 ms RTT → TCP connect median in [19, 23] ms; configure() changes the RTT live (60 ms → [59, 64])', async (t) => {
  if (!requirePrivileged(t)) return;
  await withLink(t, { ...base, rtt_ms: 20 }, async (link, probe) => {
    assert.equal(link.backend, 'tun');
    assert.equal(link.serverListenHost, '198.18.0.2');
    assert.deepEqual(await link.clientTarget(8080), { host: '198.18.0.2', port: 8080 });
    const a = await probe.connectTimes(30);
    const m20 = median(a.times_ms);
    t.diagnostic(`connect @20 ms: median ${m20.toFixed(3)} ms over ${a.times_ms.length}`);
    assert.equal(a.failures, 0);
    assert.ok(m20 >= 19 && m20 <= 23, `median ${m20}`);

    await link.releaseLateness(true);
    await link.configure({ ...base, rtt_ms: 60 });
    assert.equal(link.params().rtt_ms, 60);
    const b = await probe.connectTimes(20);
    const m60 = median(b.times_ms);
    t.diagnostic(`connect @60 ms: median ${m60.toFixed(3)} ms`);
    // The same slack as at 20 ms in absolute terms, plus 1 ms for the userspace delay line's timer drift over a
    // longer hold (CI once measured 63.4 ms here; the 20 ms check of the same run read 20.8 ms).
    assert.ok(m60 >= 59 && m60 <= 64, `median ${m60}`);
    const late = await link.releaseLateness();
    t.diagnostic(
      `release lateness: p50 ${late.p50_us.toFixed(0)} µs, p99 ${late.p99_us.toFixed(0)} µs, max ${late.max_us.toFixed(0)} µs`,
    );
    assert.ok(late.samples >= 40, `${late.samples} releases sampled`);
  });
});

test('tun link: 10 % loss measured over 2000 UDP datagrams is within ±2.5 %', async (t) => {
  if (!requirePrivileged(t)) return;
  await withLink(t, { ...base, rtt_ms: 2, loss_pct: 10 }, async (link, probe) => {
    const before = await link.counters();
    const u = await probe.udpDelivery(2000, 200);
    const after = await link.counters();
    const loss = (100 * (u.sent - u.received)) / u.sent;
    t.diagnostic(`sent ${u.sent}, received ${u.received}: ${loss.toFixed(2)} % lost`);
    assert.equal(u.sent, 2000);
    assert.ok(Math.abs(loss - 10) <= 2.5, `measured ${loss} %`);
    const counted = (after?.up.dropped_loss ?? 0) - (before?.up.dropped_loss ?? 0);
    assert.ok(Math.abs(counted - (u.sent - u.received)) <= 3, `delay line counted ${counted} losses`);
  });
});

test('tun link: 20 Mbit/s → 4 MB bulk goodput within 15 %', async (t) => {
  if (!requirePrivileged(t)) return;
  await withLink(t, { ...base, rtt_ms: 20, rate_mbit: 20 }, async (_link, probe) => {
    const r = await probe.bulk(4_000_000, 30_000);
    t.diagnostic(`4 MB in ${r.transfer_ms.toFixed(0)} ms: ${r.goodput_mbit.toFixed(2)} Mbit/s`);
    assert.equal(r.bytes, 4_000_000);
    assert.ok(Math.abs(r.goodput_mbit - 20) <= 3, `goodput ${r.goodput_mbit} Mbit/s`);
  });
});

test('tun link: flow idle timeout stalls an idle connection while a new one works', async (t) => {
  if (!requirePrivileged(t)) return;
  await withLink(t, { ...base, rtt_ms: 10 }, async (link, probe) => {
    assert.ok(link.controls);
    const old = await probe.open();
    assert.equal((await probe.echo(old, 2_000)).echoed, true);
    await link.controls.setFlowIdleTimeout(300);
    assert.equal((await probe.echo(old, 2_000)).echoed, true, 'known flow, not idle: passes');
    await new Promise((r) => setTimeout(r, 500));
    const stalled = await probe.echo(old, 1_500);
    assert.equal(stalled.echoed, false, 'idle longer than the timeout: no data gets through');
    const fresh = await probe.open();
    assert.equal((await probe.echo(fresh, 2_000)).echoed, true, 'a new connection works');
    const c = await link.counters();
    assert.ok((c?.up.dropped_idle ?? 0) >= 1);
    await link.controls.setFlowIdleTimeout(null);
    await probe.closeConn(old);
    await probe.closeConn(fresh);
  });
});

test('tun link: blackhole makes a connect time out, and switching it off restores the link', async (t) => {
  if (!requirePrivileged(t)) return;
  await withLink(t, { ...base, rtt_ms: 4 }, async (link, probe) => {
    assert.ok(link.controls);
    assert.equal((await probe.connectOnce(1_000)).connected, true);
    await link.controls.setBlackhole(true);
    assert.equal((await probe.connectOnce(1_000)).connected, false);
    const c = await link.counters();
    assert.ok((c?.up.dropped_blackhole ?? 0) >= 1);
    await link.controls.setBlackhole(false);
    assert.equal((await probe.connectOnce(1_000)).connected, true);
  });
});

test('tun link: close() leaves nothing; a SIGKILLed delay line takes its devices with it', async (t) => {
  if (!requirePrivileged(t)) return;
  const link = await openTunLink({ runId: newRunId(), params: { ...base, rtt_ms: 1 } });
  const n = link.namespaces;
  try {
    assert.match(await run(['ip', '-n', n.clientNs, '-o', 'link', 'show', 'dev', n.clientDev]), /UP/);
    assert.match(await run(['ip', '-n', n.serverNs, '-o', 'addr', 'show', 'dev', n.serverDev]), /198\.18\.0\.2\/24/);
    process.kill(link.delayLinePid, 'SIGKILL');
    const deadline = Date.now() + 3_000;
    while (existsSync(`/proc/${link.delayLinePid}`) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    let gone = false;
    while (!gone && Date.now() < deadline) {
      gone = !(await run(['ip', '-n', n.clientNs, '-o', 'link']).then((o) => o.includes(n.clientDev)));
      if (!gone) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(gone, 'client TUN device disappeared');
    assert.ok(
      !(await run(['ip', '-n', n.serverNs, '-o', 'link'])).includes(n.serverDev),
      'server TUN device disappeared',
    );
  } finally {
    await link.close();
    await link.close(); // idempotent
  }
  const ns = await listNetns();
  assert.ok(!ns.includes(n.clientNs) && !ns.includes(n.serverNs));
  const links = await listLinks();
  assert.ok(!links.includes(n.clientDev) && !links.includes(n.serverDev));
  assert.ok(!existsSync(recordPath(n.runId)));
});
