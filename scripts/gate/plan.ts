/**
 * `keepalive-bench gate`: the options, and the runs and the comparison they make — pure, so the order of the
 * runs and the arguments each gets are unit-tested without running anything.
 */
import { parseArgs } from 'node:util';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../../lib/errors.ts';

export const SIZES = ['quick', 'ci', 'standard', 'full'] as const;
export type GateSize = (typeof SIZES)[number];

export interface GateOptions {
  head_cmd: string;
  /** null with a stored baseline. */
  base_cmd: string | null;
  /** Run folders of a stored baseline: no base is measured. */
  baseline: string[];
  head_dir: string;
  base_dir: string;
  server_port: string | null;
  path: string | null;
  paths: string | null;
  protocol: string | null;
  profiles: string | null;
  size: GateSize;
  scenarios: string;
  link: string;
  threshold: string;
  runs: number;
  out: string;
}

export const GATE_HELP = `keepalive-bench gate --head-cmd "<cmd>" (--base-cmd "<cmd>" | --baseline <run>[,<run>…]) [options]

Measures your server's base and head on the emulated link (runs alternated base, head, base, head, …), then
compares them with the fail-closed, power-aware gate of \`compare\`; exits with compare's code (0 pass,
1 fail, 2 underpowered or unreadable). What GitHub's action (action.yml) runs.

  --head-cmd "<cmd>"     the head's server command (as --server-cmd of bench), run from --head-dir
  --base-cmd "<cmd>"     the base's server command, run from --base-dir
  --baseline <runs>      stored base run folder(s) instead of measuring the base
  --head-dir, --base-dir folders the server commands run from (default: the current folder)
  --server-port <n>, --path <p>, --paths <a,b>, --protocol h1|h2   as for bench
  --profile <a,b>        link profiles (default: those of the size)
  --size <s>             quick | ci | standard | full (default ci: the power to catch 10 %)
  --scenario <a,b>       scenarios (default handshake)
  --link <backend>       as for bench (default auto)
  --threshold <pct>      smallest change that counts (default 5%)
  --runs <n>             runs per side (default 1)
  --out <dir>            runs/, compare/ and gate.json go here (default results/gate)`;

export function parseGateArgs(argv: readonly string[], cwd: string): GateOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        'head-cmd': { type: 'string' },
        'base-cmd': { type: 'string' },
        baseline: { type: 'string' },
        'head-dir': { type: 'string' },
        'base-dir': { type: 'string' },
        'server-port': { type: 'string' },
        path: { type: 'string' },
        paths: { type: 'string' },
        protocol: { type: 'string' },
        profile: { type: 'string' },
        size: { type: 'string' },
        scenario: { type: 'string' },
        link: { type: 'string' },
        threshold: { type: 'string' },
        runs: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UserError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  if (values.help) return 'help';
  const given = (v: string | undefined): string | null => (v === undefined || v.trim() === '' ? null : v.trim());
  const head_cmd = given(values['head-cmd']);
  if (head_cmd === null) throw new UserError('--head-cmd is required: the command that starts the head server');
  const base_cmd = given(values['base-cmd']);
  const baseline = (given(values.baseline) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if ((base_cmd === null) === (baseline.length === 0))
    throw new UserError('give one of --base-cmd (measure the base) and --baseline (stored base runs)');
  const size = (given(values.size) ?? 'ci') as GateSize;
  if (!SIZES.includes(size)) throw new UserError(`--size must be one of ${SIZES.join(', ')}, got "${values.size}"`);
  const runs = Number(given(values.runs) ?? '1');
  if (!Number.isInteger(runs) || runs < 1 || runs > 20)
    throw new UserError(`--runs must be 1–20, got "${values.runs}"`);
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  return {
    head_cmd,
    base_cmd,
    baseline: baseline.map(abs),
    head_dir: abs(given(values['head-dir']) ?? '.'),
    base_dir: abs(given(values['base-dir']) ?? '.'),
    server_port: given(values['server-port']),
    path: given(values.path),
    paths: given(values.paths),
    protocol: given(values.protocol),
    profiles: given(values.profile),
    size,
    scenarios: given(values.scenario) ?? 'handshake',
    link: given(values.link) ?? 'auto',
    threshold: given(values.threshold) ?? '5%',
    runs,
    out: abs(given(values.out) ?? 'results/gate'),
  };
}

export interface GateRun {
  side: 'base' | 'head';
  index: number;
  cwd: string;
  /** Where bench writes (its run folder is `<out>/latest`). */
  out: string;
  args: string[];
}

/** The bench runs, alternated base/head so drift on the machine hits both sides alike. */
export function gateRuns(o: GateOptions): GateRun[] {
  const common = [
    ...(o.server_port ? ['--server-port', o.server_port] : []),
    ...(o.path ? ['--path', o.path] : []),
    ...(o.paths ? ['--paths', o.paths] : []),
    ...(o.protocol ? ['--protocol', o.protocol] : []),
    ...(o.profiles ? ['--profile', o.profiles] : []),
    ...(o.size === 'standard' ? [] : [`--${o.size}`]),
    '--scenario',
    o.scenarios,
    '--link',
    o.link,
  ];
  const out: GateRun[] = [];
  for (let i = 1; i <= o.runs; i++) {
    for (const side of ['base', 'head'] as const) {
      const cmd = side === 'base' ? o.base_cmd : o.head_cmd;
      if (cmd === null) continue;
      const dir = join(o.out, 'runs', `${side}-${i}`);
      out.push({
        side,
        index: i,
        cwd: side === 'base' ? o.base_dir : o.head_dir,
        out: dir,
        args: ['bench', '--server-cmd', cmd, ...common, '--out', dir],
      });
    }
  }
  return out;
}

/** compare's arguments: the base's runs (measured or stored) against the head's. */
export function compareArgs(o: GateOptions, runs: readonly GateRun[]): string[] {
  const of = (side: 'base' | 'head'): string[] => runs.filter((r) => r.side === side).map((r) => join(r.out, 'latest'));
  const base = o.baseline.length > 0 ? o.baseline : of('base');
  return [
    'compare',
    '--base',
    base.join(','),
    '--head',
    of('head').join(','),
    '--threshold',
    o.threshold,
    '--out',
    join(o.out, 'compare'),
  ];
}
