/**
 * C6 for a user's server: what N idle kept-alive connections cost its whole process tree (RSS and FDs from /proc)
 * and the server namespace's kernel (socket memory, sockets in use). The harness cannot read a user's heap or
 * set its timeouts, so this is the idle part of idle.ts with /proc in place of the server's own counters.
 */
import { sleep } from '../../../lib/sleep.ts';
import { pidOf, routeOr } from '../../../servers/under-test.ts';
import { caseKey, runSize, type ScenarioContext } from '../types.ts';
import { idleCrowd, type CrowdAgent } from './agent.ts';
import { costWriter, readSocketMemory, readSockstat, writeKernelSocketFigures } from './common.ts';
import { idleCounts } from './idle.ts';
import { treeUsage, type TreeUsage } from './process-tree.ts';

/** The crowd's requests: the harness's 16-byte response, or a user's --path. */
const CROWD_BYTES = 16;
/** How long the tree may take to give back the FDs of a closed crowd before the next case. */
const SETTLE_MS = 10_000;

async function settle(pid: number, fds: number, signal: AbortSignal): Promise<void> {
  const until = performance.now() + SETTLE_MS;
  while (performance.now() < until && !signal.aborted && (treeUsage(pid)?.open_fds ?? 0) > fds) await sleep(200);
}

export async function runTreeIdle(ctx: ScenarioContext, crowd: CrowdAgent): Promise<void> {
  const protocols = (['h1', 'h2'] as const).filter((p) => ctx.serves?.({ protocol: p, tls: false }) ?? false);
  if (protocols.length === 0) {
    ctx.skipPart('idle', 'needs a cleartext server (the idle crowd speaks plain HTTP)');
    return;
  }
  const write = costWriter(ctx);
  for (const n of idleCounts(runSize(ctx.options)).filter((c) => c > 0)) {
    for (const protocol of protocols) {
      if (ctx.signal.aborted) return;
      const server = await ctx.startServer({ protocol, tls: false });
      const pid = pidOf(server.handle);
      const key = caseKey('cost', { part: 'idle', protocol, connections: n }, ctx.profile.name);
      const tags = { part: 'idle' as const, case_key: key, protocol, connections: n, keep_alive: true };
      const crowd_key = `tree-idle-${protocol}-${n}`;
      const before = treeUsage(pid);
      const sockBefore = await readSockstat(ctx.link.serverNetns);
      const memBefore = await readSocketMemory(ctx.link.serverNetns);
      try {
        const path = routeOr(server.handle.routes.small(CROWD_BYTES), 'a small response').path;
        const opened = await crowd.open(idleCrowd({ crowd_key, target: server.target, protocol, count: n, path }));
        await sleep(1_000, ctx.signal);
        const after = treeUsage(pid);
        const sockAfter = await readSockstat(ctx.link.serverNetns);
        const memAfter = await readSocketMemory(ctx.link.serverNetns);
        // A server with a short idle timeout may have closed some already: divide by those still open.
        const open = (await crowd.status(crowd_key)).open;
        writeCase(write, tags, { opened: opened.open, open, opened_ms: opened.elapsed_ms, before, after });
        writeKernelSocketFigures(write, tags, { open, sockBefore, sockAfter, memBefore, memAfter });
        for (const [outcome, count] of Object.entries(opened.outcomes))
          write(tags, 'crowd_outcome', count, 'connections', outcome);
      } finally {
        await crowd.close(crowd_key).catch(() => undefined);
        await settle(pid, before?.open_fds ?? 0, ctx.signal);
      }
      ctx.progress.advance(1, `[${ctx.profile.name}] cost idle ${protocol} crowd ${n} (process tree)`);
    }
  }
}

function writeCase(
  write: ReturnType<typeof costWriter>,
  tags: Parameters<ReturnType<typeof costWriter>>[0],
  r: { opened: number; open: number; opened_ms: number; before: TreeUsage | null; after: TreeUsage | null },
): void {
  const { before, after } = r;
  const per = (d: number | null): number | null => (d === null || r.open === 0 ? null : d / r.open);
  const detail = 'the server process tree, /proc';
  write(tags, 'crowd_open', r.open, 'connections', 'open when the tree was read');
  write(tags, 'crowd_opened', r.opened, 'connections');
  write(tags, 'crowd_open_ms', r.opened_ms, 'ms');
  write(tags, 'server_processes', after?.pids ?? null, 'processes', detail);
  write(tags, 'server_rss_bytes', after?.rss_bytes ?? null, 'bytes', detail);
  write(tags, 'server_open_fds', after?.open_fds ?? null, 'fds', detail);
  write(tags, 'rss_per_conn_bytes', per(before && after && after.rss_bytes - before.rss_bytes), 'bytes', detail);
  write(tags, 'fds_per_conn', per(before && after && after.open_fds - before.open_fds), 'fds', detail);
}
