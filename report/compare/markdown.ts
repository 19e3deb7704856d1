/**
 * The Markdown summary (stdout, compare.md, fit for $GITHUB_STEP_SUMMARY): regressions first, then
 * improvements, then a count of unchanged, then what could not be compared and why, then the method.
 */
import { formatDeltaMs, formatMs, formatP, formatPct } from './format.ts';
import { DRIFT_LIMIT } from './comparability.ts';
import { minReachableP } from './test.ts';
import type { CompareResult, Gate, GateFinding, MetricComparison, NotComparableCase, RunInfo } from './types.ts';

const MAX_LISTED = 10;

function code(s: string): string {
  return `\`${s.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function runsLine(label: string, runs: readonly RunInfo[]): string {
  const parts = runs.map(
    (r) =>
      `${code(r.run_id)} (${r.link_backend || 'link ?'}; ${r.profiles.join(', ')}${r.size !== '' && r.size !== 'standard' ? `; --${r.size}` : ''}${r.status === 'completed' ? '' : `; ${r.status}`})`,
  );
  return `**${label}** ${parts.join(', ')}`;
}

function changeCell(r: MetricComparison): string {
  if (r.change_pct === null) return r.shift_ms === null ? '—' : formatDeltaMs(r.shift_ms);
  const ci =
    r.change_low_pct !== null && r.change_high_pct !== null
      ? ` [${formatPct(r.change_low_pct)}, ${formatPct(r.change_high_pct)}]`
      : '';
  return `${formatPct(r.change_pct)}${ci}`;
}

function table(rows: readonly MetricComparison[]): string[] {
  const out = [
    '| case | metric | base | head | change [95 % CI] | shift | q (BH) |',
    '|---|---|---:|---:|---|---:|---:|',
  ];
  for (const r of rows) {
    out.push(
      `| ${code(r.key)} | ${r.metric} | ${r.base_median === null ? '—' : formatMs(r.base_median)} | ${r.head_median === null ? '—' : formatMs(r.head_median)} | ${changeCell(r)} | ${r.shift_ms === null ? '—' : formatDeltaMs(r.shift_ms)} | ${r.p_adjusted === null ? '—' : formatP(r.p_adjusted)} |`,
    );
  }
  return out;
}

function listKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, MAX_LISTED).map(code).join(', ');
  return keys.length > MAX_LISTED ? `${shown} … and ${keys.length - MAX_LISTED} more` : shown;
}

/**
 * One line per distinct reason (each rule listed separately), with the cases it hits; a run-wide difference
 * is one line naming "all N cases" instead of N lines.
 */
function reasonLines(cases: readonly NotComparableCase[], totalCases: number): string[] {
  const groups = new Map<string, string[]>();
  for (const c of cases) {
    for (const r of c.reasons) {
      let keys = groups.get(r.detail);
      if (!keys) groups.set(r.detail, (keys = []));
      keys.push(c.key);
    }
  }
  return [...groups].map(([detail, keys]) =>
    keys.length === totalCases && totalCases > 1
      ? `- ${detail} — all ${totalCases} cases`
      : `- ${detail} — ${plural(keys.length, 'case')}: ${listKeys(keys)}`,
  );
}

function methodText(res: CompareResult): string[] {
  const o = res.options;
  const tests = res.rows.filter((r) => r.p_value !== null).length;
  const rule =
    `a verdict needs a two-sided Mann–Whitney U test significant at α = ${o.alpha} after the Benjamini–Hochberg ` +
    `correction over all ${plural(tests, 'test')} of this compare (q below α: when nothing changed, the chance of ` +
    `any flag is at most α) **and** a Hodges–Lehmann shift (head − base) whose whole 95 % CI lies beyond ` +
    `±${o.threshold_pct} % of the base median; everything else is "no change".`;
  const out: string[] = ['### Method', ''];
  if (res.unit === 'request') {
    out.push(
      `Unit of replication: **the request**. One run per side, so each measured request (warm-ups and failures ` +
        `excluded) is one sample — a batch of requests sent together (hol's pages: one loss recovery delays them all) is one, its median. That captures only the noise within a run, not what differs between two runs ` +
        `(machine load, another boot). The link each run saw while measuring (the median TCP connect of its new ` +
        `connections per profile) is that witness: ${o.force_comparable ? 'with --force-comparable the samples are compared raw' : "the head's samples are divided by the ratio of the two runs' link RTTs before the test (the drift, in compare.csv's link_drift_pct)"}, and a drift beyond ${DRIFT_LIMIT} × the threshold makes the runs not comparable. Then ${rule} To cover run-to-run noise ` +
        `in the test itself, repeat the runs and pass several per side (\`--base a,b,c --head d,e,f\`): the unit is ` +
        `then the run.`,
    );
  } else {
    const nb = res.base_runs.length;
    const nh = res.head_runs.length;
    out.push(
      `Unit of replication: **the run**. ${plural(nb, 'base run')} and ${plural(nh, 'head run')}, so each run's ` +
        `median is one sample: requests of one run share that run's conditions and are not independent ` +
        `replicates of a run. Tests on run medians; ${rule}`,
    );
    const pMin = res.min_p_reachable;
    const m = Math.max(1, tests);
    if (pMin !== null && (pMin >= o.alpha || pMin * m >= o.alpha)) {
      let k = Math.max(nb, nh);
      while (k < 50 && minReachableP(k, k) * m >= o.alpha) k++;
      const what =
        pMin >= o.alpha
          ? `: not below α = ${o.alpha}, so no change can be called`
          : `, so a change that moves many cases at once can be called, but one confined to a single case would ` +
            `get q = ${formatP(Math.min(1, pMin * m))} after the correction over ${plural(tests, 'test')}, not below α = ${o.alpha}`;
      out.push(
        '',
        `**With ${nb} and ${nh} runs the smallest p a rank test can reach is ${formatP(pMin)}${what}. ` +
          `Give at least ${k} runs per side to catch a change in one case alone.**`,
      );
    }
  }
  const p = res.gate.power;
  out.push(
    '',
    `Power: for each comparison, the smallest change it catches with ≥ 90 % probability was found by resampling the base's ` +
      `own samples and applying this rule (at the level a change in that case alone needs after the correction). ` +
      `Median over the ${plural(p.tested, 'comparison')}: ${p.median_detectable_pct === null ? 'none catchable' : formatPct(p.median_detectable_pct).replace('+', '')} ` +
      `with a median of ${p.median_n} samples per side; ${p.weak} cannot catch ${p.required_pct} % (twice the threshold).`,
  );
  out.push(
    '',
    `Full table: compare.csv (p- and q-values, detectable change); machine-readable: compare.json; chart: compare.html.`,
  );
  return out;
}

/** Cases with the largest |change| first; a case's metrics stay together, in the order they were asked for. */
function largestFirst(rows: readonly MetricComparison[]): MetricComparison[] {
  const size = new Map<string, number>();
  for (const r of rows) size.set(r.key, Math.max(size.get(r.key) ?? 0, Math.abs(r.change_pct ?? Infinity)));
  const caseOrder = [...size].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  return caseOrder.flatMap((k) => rows.filter((r) => r.key === k));
}

const GATE_RULE_LABEL: Record<GateFinding['rule'], string> = {
  run_status: 'run did not complete',
  lost_cases: 'cases lost',
  failures: 'more failures',
  regression: 'regression',
  not_comparable: 'not comparable',
  nothing_compared: 'nothing compared',
  underpowered: 'underpowered',
  link_drift: 'link drift corrected',
};

const GATE_HEADLINE: Record<Gate['verdict'], string> = {
  pass: '✅ **pass** (exit 0)',
  fail: '❌ **fail** (exit 1)',
  underpowered: '⚠️ **underpowered** (exit 2): these samples cannot tell "no change" from a change twice the threshold',
};

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The gate's verdict and one row per reason, with the figure behind it. */
export function gateSection(gate: Gate, o: CompareResult['options']): string[] {
  const out = [`### Gate: ${GATE_HEADLINE[gate.verdict]}`, ''];
  if (gate.findings.length === 0) {
    out.push(
      `Nothing failed: every run completed, no case was lost, failed more or regressed, all were comparable, and the samples catch ${gate.power.required_pct} % (median detectable change ${gate.power.median_detectable_pct === null ? '—' : formatPct(gate.power.median_detectable_pct).replace('+', '')}).`,
    );
  } else {
    out.push('| reason | fails the gate | concerns | figure |', '|---|---|---|---|');
    for (const f of gate.findings)
      out.push(
        `| ${GATE_RULE_LABEL[f.rule]} | ${f.blocking ? 'yes' : 'no'} | ${code(f.subject)} | ${cell(f.figure)} |`,
      );
  }
  out.push(
    '',
    `Rules: a run that did not complete, a case the head lost, a case whose head failed more than ${o.failure_tolerance_pct} % of its ` +
      `requests beyond its base's (cases that measure failures on purpose excepted), a regression, or a case not comparable` +
      `${o.allow_not_comparable ? ' (allowed here by --allow-not-comparable)' : ''} fail the gate; a compare whose samples cannot catch twice ` +
      `the threshold in most comparisons is underpowered${o.allow_underpowered ? ' (allowed here by --allow-underpowered)' : ''}.`,
  );
  return out;
}

/** A stored baseline may come from another machine: say so (the drift correction covers speed, not everything). */
function machineLines(res: CompareResult): string[] {
  const b = [...new Set(res.base_runs.map((r) => r.machine).filter((m) => m !== ''))];
  const h = [...new Set(res.head_runs.map((r) => r.machine).filter((m) => m !== ''))];
  if (b.length === 0 || h.length === 0 || (b.length === 1 && h.length === 1 && b[0] === h[0])) return [];
  return [`Machines differ: ${b.join('; ')} (base) vs ${h.join('; ')} (head).`];
}

export function renderMarkdown(res: CompareResult): string {
  const o = res.options;
  const regressed = largestFirst(res.rows.filter((r) => r.verdict === 'regressed'));
  const improved = largestFirst(res.rows.filter((r) => r.verdict === 'improved'));
  const unchanged = res.rows.filter((r) => r.verdict === 'no_change');
  const incomparable = res.rows.filter((r) => r.verdict === 'not_comparable');
  const out: string[] = [
    '## keepalive-bench compare',
    '',
    `${runsLine('Base', res.base_runs)}  `,
    `${runsLine('Head', res.head_runs)}  `,
    `Threshold ±${o.threshold_pct} %, α = ${o.alpha}, metrics ${o.metrics.join(', ')}.`,
    ...machineLines(res),
    '',
    `**${regressed.length} regressed · ${improved.length} improved · ${unchanged.length} no change · ${incomparable.length} not comparable** (case × metric)`,
    '',
    ...gateSection(res.gate, o),
    '',
    `### Regressions (${regressed.length})`,
    '',
  ];
  out.push(...(regressed.length > 0 ? table(regressed) : ['None.']));
  out.push('', `### Improvements (${improved.length})`, '');
  out.push(...(improved.length > 0 ? table(improved) : ['None.']));
  out.push('', `### No change (${unchanged.length})`, '');
  const count = (reason: MetricComparison['reason']): number => unchanged.filter((r) => r.reason === reason).length;
  const parts = [
    [count('not_significant'), 'not significant'],
    [count('within_threshold'), `significant but within ±${o.threshold_pct} %`],
    [count('ci_reaches_threshold'), `significant but with a 95 % CI reaching inside ±${o.threshold_pct} %`],
    [count('too_few_samples'), 'too few samples for a 95 % CI'],
  ] as const;
  const detail = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  out.push(unchanged.length > 0 ? `${plural(unchanged.length, 'comparison')}: ${detail.join(', ')}.` : 'None.');

  const caseLevel = new Set(res.not_comparable.map((c) => c.key));
  const metricLevel = incomparable.filter((r) => !caseLevel.has(r.key));
  const totalCases = new Set(res.rows.map((r) => r.key)).size;
  if (res.not_comparable.length > 0 || metricLevel.length > 0) {
    out.push('', `### Not comparable (${plural(incomparable.length, 'comparison')})`, '');
    out.push(...reasonLines(res.not_comparable, totalCases));
    for (const r of metricLevel) out.push(`- ${code(r.key)} ${r.metric}: ${r.why}`);
  }
  if (res.forced.length > 0) {
    out.push('', '### Compared despite differences (--force-comparable)', '');
    out.push(...reasonLines(res.forced, totalCases));
  }
  const oneSided = new Set(
    res.not_comparable
      .filter((c) => c.reasons.some((x) => x.rule === 'only_in_base' || x.rule === 'only_in_head'))
      .map((c) => c.key),
  );
  const failing = [
    ...new Map(
      res.rows.filter((r) => !oneSided.has(r.key) && r.errors_head > r.errors_base).map((r) => [r.key, r]),
    ).values(),
  ];
  if (failing.length > 0) {
    out.push('', '### Failed requests, base → head', '');
    for (const r of failing) out.push(`- ${code(r.key)}: ${r.errors_base} (base) → ${r.errors_head} (head) failed`);
  }
  const renamed = res.profile_pairs.filter((p) => p.base !== p.head);
  if (renamed.length > 0) {
    out.push('', 'Profiles paired across runs:');
    const how = {
      name: 'same name',
      parameters: 'same parameters',
      'only-remaining': 'the only one left on each side',
    } as const;
    for (const p of renamed)
      out.push(
        `- ${code(p.base)} (base) ↔ ${code(p.head)} (head), by ${how[p.by]}; cases are listed under the base name`,
      );
  }
  out.push('', ...methodText(res), '');
  return out.join('\n');
}
