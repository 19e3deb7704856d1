/**
 * C7: the server's idle timeout closes a kept-alive connection long before TCP keepalive would send its first
 * probe. Records both (the measured close and the keepalive sysctls of both namespaces), and what a client that
 * writes on the closed connection gets back.
 */
import { errorMessage } from '../../../lib/errors.ts';
import { bySize, caseKey, type BenchOptions } from '../types.ts';
import { standsFor, type PartContext } from './common.ts';

/** Node's default server keepAliveTimeout is 5 s; scaled 1:10 that is 0.5 s. */
export const C7_SERVER_IDLE_MS = 500;
const C7_WAIT_MS = 3_000;

/**
 * Trials run side by side (one connection each to the same server), so they cost connections, not time: five is the
 * fewest whose extreme bounds the median close at ≥ 96.9 % without a model (1 − 2^−5).
 */
export function c7Reps(options: Pick<BenchOptions, 'quick' | 'size'>): number {
  return bySize(options, { quick: 5, standard: 5, full: 10 });
}

export function c7Key(profile: string): string {
  return caseKey('lifecycle', { part: 'c7', server_idle_ms: C7_SERVER_IDLE_MS }, profile);
}

const KA_KEYS = [
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
] as const;

export async function runC7(p: PartContext): Promise<void> {
  const { ctx, agent } = p;
  const tuning = ctx.link.tuning;
  const ka = async (side: 'client' | 'server'): Promise<string> => {
    if (tuning === null) return 'unknown (no namespace)';
    const s = await tuning.readSysctls(side);
    return KA_KEYS.map((k) => s[k] ?? '?').join('/');
  };
  const kaClient = await ka('client');
  const kaServer = await ka('server');
  const server = await ctx.startServer({ protocol: 'h1', keep_alive_timeout_ms: C7_SERVER_IDLE_MS });
  try {
    const reps = c7Reps(ctx.options);
    const trials = await Promise.all(
      Array.from({ length: reps }, () =>
        agent
          .idleClose({
            target: server.target,
            path: '/bytes/100',
            wait_ms: C7_WAIT_MS,
            reuse_after: true,
            reuse_timeout_ms: 3_000,
          })
          .then(
            (r) => ({ ok: true as const, r }),
            (e: unknown) => ({ ok: false as const, e }),
          ),
      ),
    );
    for (const [i, t] of trials.entries()) {
      const rep = i + 1;
      if (!t.ok) {
        p.row({
          part: 'c7',
          case_key: c7Key(ctx.profile.name),
          trial: rep,
          outcome: 'error',
          error: errorMessage(t.e),
        });
      } else {
        const r = t.r;
        p.row({
          part: 'c7',
          case_key: c7Key(ctx.profile.name),
          strategy: 'raw_socket',
          fault: 'server_idle_close',
          trial: rep,
          y_ms: C7_SERVER_IDLE_MS,
          idle_ms: r.server_close_after_ms,
          detect_ms: r.reuse_detect_ms,
          outcome: r.server_close_after_ms === null ? 'no_close' : `reuse_${r.reuse_outcome ?? 'none'}`,
          status: r.first_status,
          error: r.error ?? (r.reuse_outcome !== 'response' ? r.reuse_outcome : null),
          tcp_keepalive: `client ${kaClient}; server ${kaServer}`,
          stands_for: `server idle ${standsFor(C7_SERVER_IDLE_MS)} vs TCP keepalive time ${kaClient.split('/')[0] ?? '?'} s (unscaled)`,
          note: 'idle_ms = measured time from the end of the response to the server FIN; detect_ms = what a write on the closed connection got, after how long',
        });
      }
      ctx.progress.advance(1, `[${ctx.profile.name}] lifecycle C7 trial ${rep}`);
    }
  } finally {
    await server.handle.stop();
  }
}
