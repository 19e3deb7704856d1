/**
 * `node --import tsx scripts/bench-drivers.ts [--runs N] [--seconds S] [--out DIR]` — how close the harness's load
 * drivers come to the reference tools on loopback, against the same server with the same connections and
 * streams: HTTP/2 (raw-h2 and node-http2) vs h2load, HTTP/1.1 (autocannon) vs wrk. Runs alternate, each shape
 * is measured N times; prints median requests/s with min–max and n, and the ratio of medians; writes the runs
 * to DIR/drivers-<time>.json. A benchmark, not a test: the figures depend on the machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { execa } from 'execa';
import { startServer, type ServerHandle } from '../servers/launch.ts';
import { h1LoadDriver } from '../bench/drivers/load/h1.ts';
import { h2LoadDriver } from '../bench/drivers/load/h2.ts';
import { h2RawLoadDriver } from '../bench/drivers/load/h2-raw.ts';
import type { LoadDriver, LoadOptions } from '../bench/drivers/load/types.ts';
import { medianSorted, sortAsc } from '../lib/stats.ts';
import { UserError } from '../lib/errors.ts';
import { parseCliArgs, runMain, versionHelp } from './cli.ts';
import { parseH2loadRps, parseWrkRps } from '../bench/drivers/load/reference-output.ts';

const PATH = '/bytes/100';

interface Shape {
  protocol: 'h1' | 'h2';
  connections: number;
  streams: number;
}

const SHAPES: Shape[] = [
  { protocol: 'h2', connections: 1, streams: 10 },
  { protocol: 'h2', connections: 1, streams: 100 },
  { protocol: 'h2', connections: 4, streams: 25 },
  { protocol: 'h1', connections: 16, streams: 1 },
  { protocol: 'h1', connections: 64, streams: 1 },
];

type Tool = { name: string; run(shape: Shape, port: number, seconds: number): Promise<number> };

function ours(driver: LoadDriver): Tool {
  return {
    name: driver.name,
    async run(shape, port, seconds) {
      const opts: LoadOptions = {
        target: { host: '127.0.0.1', port },
        protocol: shape.protocol,
        path: PATH,
        connections: shape.connections,
        per_connection: shape.streams,
        loop: 'closed',
        rate_rps: null,
        keep_alive: true,
        duration_ms: seconds * 1000,
        max_requests: null,
        timeout_ms: 10_000,
      };
      const r = await driver.run(opts);
      if (r.errors > 0 || r.non_2xx > 0) throw new Error(`${driver.name}: ${r.errors} errors, ${r.non_2xx} non-2xx`);
      return r.requests_per_s;
    },
  };
}

const h2load: Tool = {
  name: 'h2load',
  async run(shape, port, seconds) {
    const r = await execa(
      'h2load',
      [
        '-c',
        String(shape.connections),
        '-m',
        String(shape.streams),
        '-t',
        '1',
        '-D',
        String(seconds),
        `http://127.0.0.1:${port}${PATH}`,
      ],
      { timeout: (seconds + 20) * 1000 },
    );
    return parseH2loadRps(r.stdout);
  },
};

const wrk: Tool = {
  name: 'wrk',
  async run(shape, port, seconds) {
    const r = await execa(
      'wrk',
      ['-t', '1', '-c', String(shape.connections), '-d', `${seconds}s`, `http://127.0.0.1:${port}${PATH}`],
      { timeout: (seconds + 20) * 1000 },
    );
    return parseWrkRps(r.stdout);
  },
};

async function haveTool(name: string): Promise<boolean> {
  try {
    await execa(name, ['--version'], { timeout: 5_000, reject: false });
    return true;
  } catch {
    return false;
  }
}

const HELP = `node --import tsx scripts/bench-drivers.ts [--runs N] [--seconds S] [--out DIR]

How close the harness's load drivers come to the reference tools (h2load, wrk, where installed) on loopback,
against the same server with the same connections and streams; prints median requests/s per shape and tool
and writes the runs to DIR/drivers-<time>.json. A benchmark, not a test: the figures depend on the machine.
  --runs N      runs of each shape and tool, alternated (1–20, default 3)
  --seconds S   length of each run (1–30, default 3)
  --out DIR     folder for drivers-<time>.json (default results)
  -h, --help    this help
  ${versionHelp(14)}`;

runMain(async () => {
  const { values } = parseCliArgs({
    args: process.argv.slice(2),
    options: {
      runs: { type: 'string' },
      seconds: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const runs = Number(values.runs ?? 3);
  const seconds = Number(values.seconds ?? 3);
  if (!Number.isInteger(runs) || runs < 1 || runs > 20)
    throw new UserError(`--runs must be 1..20, got "${values.runs}"`);
  if (!(seconds >= 1 && seconds <= 30)) throw new UserError(`--seconds must be 1..30, got "${values.seconds}"`);
  const out = values.out ?? 'results';
  const tools: Record<'h1' | 'h2', Tool[]> = {
    h2: [ours(h2RawLoadDriver), ours(h2LoadDriver), ...((await haveTool('h2load')) ? [h2load] : [])],
    h1: [ours(h1LoadDriver), ...((await haveTool('wrk')) ? [wrk] : [])],
  };
  const servers: Partial<Record<'h1' | 'h2', ServerHandle>> = {};
  const rows: Array<{ shape: Shape; tool: string; rps: number[] }> = [];
  try {
    servers.h1 = await startServer({ protocol: 'h1', host: '127.0.0.1', port: 0 });
    servers.h2 = await startServer({ protocol: 'h2', host: '127.0.0.1', port: 0 });
    for (const shape of SHAPES) {
      const port = servers[shape.protocol]!.ready.port;
      const list = tools[shape.protocol];
      const byTool = new Map(list.map((t) => [t.name, [] as number[]]));
      for (let i = 0; i < runs; i++) {
        // Alternate the order so drift (thermal, other load) hits every tool alike.
        for (const t of i % 2 === 0 ? list : [...list].reverse()) {
          const rps = await t.run(shape, port, seconds);
          byTool.get(t.name)!.push(rps);
          process.stderr.write(
            `${shape.protocol} c=${shape.connections} m=${shape.streams} ${t.name} run ${i + 1}/${runs}: ${rps.toFixed(0)} req/s\n`,
          );
        }
      }
      for (const [tool, rps] of byTool) rows.push({ shape, tool, rps });
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s?.stop()));
  }
  const median = (xs: number[]): number => medianSorted(sortAsc(xs));
  const lines = ['shape                 tool         req/s median [min–max] n         vs reference'];
  for (const r of rows) {
    const ref = rows.find((x) => x.shape === r.shape && (x.tool === 'h2load' || x.tool === 'wrk'));
    const ratio =
      ref && ref !== r ? `${(median(r.rps) / median(ref.rps)).toFixed(2)}× ${ref.tool}` : ref === r ? 'reference' : '—';
    const shape = `${r.shape.protocol} c=${r.shape.connections} ${r.shape.protocol === 'h2' ? 'm' : 'depth'}=${r.shape.streams}`;
    lines.push(
      `${shape.padEnd(22)}${r.tool.padEnd(13)}${median(r.rps).toFixed(0).padStart(7)} [${Math.min(...r.rps).toFixed(0)}–${Math.max(...r.rps).toFixed(0)}] n=${r.rps.length}`.padEnd(
        62,
      ) + ratio,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  mkdirSync(out, { recursive: true });
  const file = join(out, `drivers-${new Date().toISOString().replace(/[:.]/g, '')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ machine: { cpus: os.cpus().length, kernel: os.release(), loadavg_at_end: os.loadavg() }, seconds, runs, rows }, null, 2)}\n`,
  );
  process.stdout.write(`runs written to ${file}\n`);
  return 0;
});
