/** Command-line arguments of `npm run compare` (parsing only; scripts/compare.ts runs it). */
import { parseArgs } from 'node:util';
import { UserError } from '../../lib/errors.ts';
import { SUMMARY_METRICS } from '../../lib/schema.ts';
import type { CompareOptions } from './types.ts';

export interface CompareArgs {
  base: string[];
  head: string[];
  options: CompareOptions;
  out: string | null;
}

function dirs(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Failed requests a case may add in head, in percentage points of its requests, before the gate fails. */
export const DEFAULT_FAILURE_TOLERANCE_PCT = 1;

function parsePct(flag: string, v: string, example: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%?\s*$/.exec(v);
  const n = m?.[1] === undefined ? NaN : Number(m[1]);
  if (!(n >= 0 && n < 100))
    throw new UserError(`${flag} must be a percentage from 0 to 100, e.g. ${example} (got "${v}")`);
  return n;
}

export function parseThreshold(v: string): number {
  return parsePct('--threshold', v, '5%');
}

export function parseAlpha(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n > 0 && n < 1))
    throw new UserError(`--alpha must be a number between 0 and 1, e.g. 0.05 (got "${v}")`);
  return n;
}

export function parseMetrics(v: string): string[] {
  const list = [
    ...new Set(
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
  const known = SUMMARY_METRICS as readonly string[];
  const bad = list.filter((m) => !known.includes(m));
  if (list.length === 0 || bad.length > 0) {
    throw new UserError(
      `unknown --metric ${bad.length > 0 ? `"${bad.join(',')}"` : '(empty)'}; choose from ${known.join(', ')}`,
    );
  }
  return list;
}

export function parseCompareArgs(argv: string[]): CompareArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        base: { type: 'string', multiple: true },
        head: { type: 'string', multiple: true },
        threshold: { type: 'string' },
        metric: { type: 'string' },
        alpha: { type: 'string' },
        out: { type: 'string' },
        'force-comparable': { type: 'boolean' },
        'allow-not-comparable': { type: 'boolean' },
        'allow-underpowered': { type: 'boolean' },
        'failure-tolerance': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UserError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const pos = parsed.positionals;
  let base = dirs(v.base ?? []);
  let head = dirs(v.head ?? []);
  if (base.length === 0 && head.length === 0) {
    if (pos.length !== 2) {
      throw new UserError(
        `give a base and a head run folder (got ${pos.length} folder${pos.length === 1 ? '' : 's'}); see --help`,
      );
    }
    base = dirs([pos[0] ?? '']);
    head = dirs([pos[1] ?? '']);
  } else if (pos.length > 0) {
    throw new UserError(
      `give run folders either as two positionals or with --base/--head, not both (extra: ${pos.join(' ')})`,
    );
  }
  if (base.length === 0 || head.length === 0)
    throw new UserError(`give at least one ${base.length === 0 ? 'base' : 'head'} run folder; see --help`);
  if (v.out !== undefined && v.out.trim() === '')
    throw new UserError('--out needs a folder for compare.md/csv/json/html, got an empty string');
  return {
    base,
    head,
    out: v.out ?? null,
    options: {
      threshold_pct: v.threshold === undefined ? 5 : parseThreshold(v.threshold),
      alpha: v.alpha === undefined ? 0.05 : parseAlpha(v.alpha),
      metrics: v.metric === undefined ? ['ttfb_ms', 'total_ms'] : parseMetrics(v.metric),
      force_comparable: v['force-comparable'] ?? false,
      allow_not_comparable: v['allow-not-comparable'] ?? false,
      allow_underpowered: v['allow-underpowered'] ?? false,
      failure_tolerance_pct:
        v['failure-tolerance'] === undefined
          ? DEFAULT_FAILURE_TOLERANCE_PCT
          : parsePct('--failure-tolerance', v['failure-tolerance'], '1%'),
    },
  };
}
