/**
 * The TCP_INFO sampler: a child process that runs inside the server namespace and, between a `start` and a
 * `stop` request, samples the sockets on the server's listening port one of two ways (argv[2]): `ss -tinH`
 * back to back (everything TCP_INFO has, but one process start per sample: ~5–20 ms apart), or /proc/net/tcp
 * every interval_ms (cwnd and ssthresh only, no process start). Exits when stdin closes. Runs `ss` directly
 * (it already is in the namespace): no `ip netns exec` per sample.
 */
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { serveJsonLines } from '../../../lib/child.ts';
import { errorMessage } from '../../../lib/errors.ts';
import { parseProcNetTcp, parseSsTcpInfo, type SsTcpInfo } from './ss.ts';

export interface SamplerStart {
  port: number;
  interval_ms: number;
  /** The sampling stops by itself after max_ms or max_samples, whichever comes first. */
  max_ms: number;
  max_samples: number;
}

export interface TimedTcpInfo extends SsTcpInfo {
  /** ms since `start`, the middle of the read. */
  t_ms: number;
  /** ss: every field; proc: /proc/net/tcp, only cwnd and ssthresh (the rest null). */
  source: 'ss' | 'proc';
}

type SamplerRequest = { id: number } & (({ op: 'start' } & SamplerStart) | { op: 'stop' });

let running: { stopped: boolean; done: Promise<void>; samples: TimedTcpInfo[]; errors: string[] } | null = null;

function ms(t: number): number {
  return Math.round(t * 1000) / 1000;
}

async function ssLoop(req: SamplerStart, state: NonNullable<typeof running>, t0: number): Promise<void> {
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
      const t_ms = ms((before + after) / 2 - t0);
      for (const s of parseSsTcpInfo(String(r.stdout))) state.samples.push({ t_ms, source: 'ss', ...s });
    }
  }
}

async function procLoop(req: SamplerStart, state: NonNullable<typeof running>, t0: number): Promise<void> {
  while (!state.stopped && performance.now() - t0 < req.max_ms && state.samples.length < req.max_samples) {
    const before = performance.now();
    let text: string;
    try {
      text = await readFile('/proc/net/tcp', 'utf8');
    } catch (e) {
      state.errors.push(`/proc/net/tcp: ${errorMessage(e)}`);
      return;
    }
    const t_ms = ms((before + performance.now()) / 2 - t0);
    for (const w of parseProcNetTcp(text, req.port)) {
      state.samples.push({
        ...EMPTY_INFO,
        t_ms,
        source: 'proc',
        local: w.local,
        peer: w.peer,
        cwnd_segments: w.cwnd_segments,
        ssthresh_segments: w.ssthresh_segments,
      });
    }
    const wait = req.interval_ms - (performance.now() - before);
    await new Promise((res) => setTimeout(res, Math.max(0, wait)));
  }
}

const EMPTY_INFO: SsTcpInfo = {
  local: '',
  peer: '',
  cc: null,
  cwnd_segments: null,
  ssthresh_segments: null,
  rtt_ms: null,
  rttvar_ms: null,
  rto_ms: null,
  mss_bytes: null,
  bytes_sent: null,
  bytes_acked: null,
  unacked_segments: null,
  retrans_total: null,
  delivery_rate_mbit: null,
  pacing_rate_mbit: null,
  snd_wnd_bytes: null,
};

/** `ss` or `proc` (argv[2]): the harness runs one child of each, so ss's process starts never stall the /proc loop. */
const MODE = process.argv[2] === 'proc' ? 'proc' : 'ss';

async function loop(req: SamplerStart, state: NonNullable<typeof running>): Promise<void> {
  const t0 = performance.now();
  await (MODE === 'proc' ? procLoop(req, state, t0) : ssLoop(req, state, t0));
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

process.once('SIGTERM', () => process.exit(0));
serveJsonLines<SamplerRequest>(handle);
