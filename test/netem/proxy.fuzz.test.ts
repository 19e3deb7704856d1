/**
 * The proxy link relays bytes, whatever they are: random binary in random reads, connections cut by a reset or
 * a destroy mid-stream. Every byte of an orderly connection comes back unchanged and in order, and the link's
 * process is still up and relaying afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import fc from 'fast-check';
import { checkProperty, splitAt } from '../helpers/fuzz.ts';
import { openProxyLink } from '../../netem/proxy.ts';

/** Echoes every byte; on the client's FIN it ends too. */
async function startEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => s.write(d));
    s.on('end', () => s.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

type Ending = 'end' | 'reset' | 'destroy';

/** Sends the reads through the link and ends as told; resolves with what came back (all of it for 'end'). */
function relay(port: number, reads: readonly Buffer[], ending: Ending): Promise<Buffer> {
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const timer = setTimeout(() => s.destroy(), 5_000);
    s.on('data', (d: Buffer) => got.push(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got));
    });
    s.on('connect', () => {
      for (const r of reads) s.write(r);
      if (ending === 'end') s.end();
      else if (ending === 'reset') s.resetAndDestroy();
      else s.destroy();
    });
  });
}

test('fuzz the proxy link: random bytes in random reads come back whole; resets and aborts do not hurt it', async (t) => {
  const echo = await startEcho();
  const link = await openProxyLink({
    runId: 'fuzz',
    params: { rtt_ms: 0, jitter_ms: 0, loss_pct: 0, rate_mbit: null, queue_packets: null, mtu_bytes: 1500 },
  });
  t.after(async () => {
    await link.close();
    await echo.close();
  });
  const { port } = await link.clientTarget(echo.port);
  await checkProperty(
    t,
    fc.asyncProperty(
      fc.uint8Array({ minLength: 0, maxLength: 64 * 1024 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.constantFrom<Ending>('end', 'end', 'reset', 'destroy'),
      async (bytes, cuts, ending) => {
        const input = Buffer.from(bytes);
        const back = await relay(port, splitAt(input, cuts), ending);
        if (ending === 'end') assert.ok(back.equals(input), `${back.length} of ${input.length} bytes came back`);
      },
    ),
    { runs: 1_000, time_ms: 5_000 },
  );
  const probe = Buffer.from('still relaying');
  assert.ok((await relay(port, [probe], 'end')).equals(probe), 'the link relays after the fuzz');
  assert.doesNotThrow(() => process.kill(link.pid, 0), 'the link process is alive');
});
