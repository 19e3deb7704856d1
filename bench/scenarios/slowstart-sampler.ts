/**
 * The TCP_INFO sampler: a child process that runs inside the server namespace and, between a `start` and a
 * `stop` request, runs `ss -tinH` on the server's listening port every few ms, keeping what it parsed.
 * Exits when stdin closes. Runs `ss` directly (it already is in the namespace): no `ip netns exec` per sample.
 */
import { execa } from 'execa';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { emitJsonLine } from '../lib/child.ts';
import { errorMessage } from '../lib/errors.ts';
import { parseSsTcpInfo, type SsTcpInfo } from './slowstart-ss.ts';

export interface SamplerStart {
  port: number;
  interval_ms: number;
  /** The sampling stops by itself after max_ms or max_samples, whichever comes first. */
  max_ms: number;
  max_samples: number;
}

export interface TimedTcpInfo extends SsTcpInfo {
  /** ms since `start`, the middle of the ss call. */
  t_ms: number;
}

type SamplerRequest = { id: number } & (({ op: 'start' } & SamplerStart) | { op: 'stop' });

let running: { stopped: boolean; done: Promise<void>; samples: TimedTcpInfo[]; errors: string[] } | null = null;

async function loop(req: SamplerStart, state: NonNullable<typeof running>): Promise<void> {
  const t0 = performance.now();
  while (!state.stopped && performance.now() - t0 < req.max_ms && state.samples.length < req.max_samples) {
    const before = performance.now();
    const r = await execa('ss', ['-tinH', 'state', 'established', '(', 'sport', '=', `:${req.port}`, ')'], {
      reject: false,
      stdin: 'ignore',
    });
    const after = performance.now();
    if (r.failed) {
      state.errors.push(String(r.stderr).trim() || (r.shortMessage ?? 'ss failed'));
      if (state.errors.length > 5) break;
    } else {
      const t_ms = Math.round(((before + after) / 2 - t0) * 1000) / 1000;
      for (const s of parseSsTcpInfo(String(r.stdout))) state.samples.push({ t_ms, ...s });
    }
    const wait = req.interval_ms - (performance.now() - before);
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  }
}

async function handle(msg: SamplerRequest): Promise<Record<string, unknown>> {
  switch (msg.op) {
    case 'start': {
      if (running) throw new Error('already sampling');
      const state = { stopped: false, done: Promise.resolve(), samples: [] as TimedTcpInfo[], errors: [] as string[] };
      state.done = loop(msg, state);
      running = state;
      return {};
    }
    case 'stop': {
      const state = running;
      if (!state) return { samples: [], errors: ['not sampling'] };
      state.stopped = true;
      await state.done;
      running = null;
      return { samples: state.samples, errors: state.errors };
    }
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let msg: SamplerRequest;
  try {
    msg = JSON.parse(line) as SamplerRequest;
  } catch {
    return;
  }
  handle(msg).then(
    (reply) => emitJsonLine({ id: msg.id, ok: true, ...reply }),
    (e: unknown) => emitJsonLine({ id: msg.id, ok: false, error: errorMessage(e) }),
  );
});
rl.on('close', () => process.exit(0));
process.once('SIGTERM', () => process.exit(0));
emitJsonLine({ ready: true, pid: process.pid });
