/**
 * The browser's line under the verdicts of other scenarios' claims (C1 handshake, C5 hol, C12 lifecycle): what a
 * real browser's page loads say about the same claim, from the flat page's cold and warm loads by Chromium.
 * Pure: figures in, texts out; a line whose figures are missing is left out.
 */
import type { Addendum } from '../types.ts';
import { fmtPage, type BrowserFigures, type BrowserPoint } from './analysis.ts';

/** Each line is kept to about this many characters (a middle loss rate is dropped from C5's to fit). */
export const ADDENDUM_MAX_CHARS = 200;

/** Chromium's loads of the flat page: the first profile's. */
function flatChromium(figs: BrowserFigures): BrowserPoint[] {
  const chromium = figs.points.filter((p) => p.client === 'chromium' && p.page === 'flat' && p.page_ms.n > 0);
  const profile = chromium[0]?.profile;
  return chromium.filter((p) => p.profile === profile);
}

/** "a browser (wan, TLS)": the loads' profile, and that they ran over TLS (C5's own page loads may not). */
function aBrowser(ps: readonly BrowserPoint[]): string {
  return `a browser (${ps[0]?.profile ?? '?'}, TLS)`;
}

function find(ps: readonly BrowserPoint[], c: string, state: string, loss: number, cc: string): BrowserPoint | null {
  return ps.find((p) => p.case === c && p.state === state && p.loss_pct === loss && p.cc === cc) ?? null;
}

/** The lowest loss rate, then the first congestion control, at which every one of `cases` has cold loads. */
function firstCondition(ps: readonly BrowserPoint[], cases: readonly string[]): { loss: number; cc: string } | null {
  const conds = ps
    .filter((p) => p.state === 'cold')
    .map((p) => ({ loss: p.loss_pct, cc: p.cc }))
    .sort((a, b) => a.loss - b.loss || a.cc.localeCompare(b.cc));
  return conds.find((k) => cases.every((c) => find(ps, c, 'cold', k.loss, k.cc) !== null)) ?? null;
}

/** "n = 6 each", or "n = 5–6 each" when the cases differ ("n = 6" for one). */
function nEach(ns: readonly number[]): string {
  if (ns.length === 1) return `n = ${ns[0]}`;
  const lo = Math.min(...ns);
  const hi = Math.max(...ns);
  return lo === hi ? `n = ${lo} each` : `n = ${lo}–${hi} each`;
}

function count(x: number, one: string, many: string): string {
  return `${x} ${x === 1 ? one : many}`;
}

/** C1: h1 keep-alive against Connection: close, cold; and the warm load on the connections kept open. */
export function c1Addendum(figs: BrowserFigures): string | null {
  const ps = flatChromium(figs);
  const at = firstCondition(ps, ['h1_keepalive', 'h1_close']);
  if (at === null) return null;
  const ka = find(ps, 'h1_keepalive', 'cold', at.loss, at.cc)!;
  const close = find(ps, 'h1_close', 'cold', at.loss, at.cc)!;
  const warm = find(ps, 'h1_keepalive', 'warm', at.loss, at.cc);
  const warmText = warm ? `; warm connections: ${fmtPage(warm.page_ms.median)} (n = ${warm.page_ms.n})` : '';
  return `${aBrowser(ps)}: h1 keep-alive page ${fmtPage(ka.page_ms.median)} (median) vs ${fmtPage(close.page_ms.median)} with Connection: close (${nEach([ka.page_ms.n, close.page_ms.n])}, ${at.loss} % loss, ${at.cc})${warmText}`;
}

/** C5: h2 against h1 keep-alive, cold, at each loss rate (without loss the first congestion control, with it each). */
export function c5Addendum(figs: BrowserFigures): string | null {
  const ps = flatChromium(figs);
  const losses = [...new Set(ps.map((p) => p.loss_pct))].sort((a, b) => a - b);
  const ccs = [...new Set(ps.map((p) => p.cc))].sort();
  const fragments: Array<{ text: string; ns: number[] }> = [];
  for (const loss of losses) {
    const pairs: Array<{ cc: string; h2: BrowserPoint; h1: BrowserPoint }> = [];
    for (const cc of ccs) {
      const h2 = find(ps, 'h2', 'cold', loss, cc);
      const h1 = find(ps, 'h1_keepalive', 'cold', loss, cc);
      if (h2 && h1) pairs.push({ cc, h2, h1 });
    }
    const shown = loss === 0 ? pairs.slice(0, 1) : pairs;
    if (shown.length === 0) continue;
    const ns = shown.flatMap((p) => [p.h2.page_ms.n, p.h1.page_ms.n]);
    const vs = (p: (typeof shown)[number]): string =>
      `${fmtPage(p.h2.page_ms.median)} vs ${fmtPage(p.h1.page_ms.median)}`;
    const only = shown.length === 1 && loss === 0 ? shown[0]! : null;
    const each = shown.map((p) => `${p.cc} ${vs(p)}`).join(', ');
    let text: string;
    if (fragments.length === 0 && only)
      text = `h2 ${fmtPage(only.h2.page_ms.median)} vs h1 keep-alive ${fmtPage(only.h1.page_ms.median)} at ${loss} % loss${ccs.length > 1 ? ` (${only.cc})` : ''}`;
    else if (fragments.length === 0) text = `h2 vs h1 keep-alive at ${loss} % loss: ${each}`;
    else text = `at ${loss} % loss ${each}`;
    fragments.push({ text, ns });
  }
  if (fragments.length === 0) return null;
  const text = (fs: ReadonlyArray<{ text: string; ns: number[] }>): string =>
    `${aBrowser(ps)}: ${fs.map((f) => f.text).join('; ')} (medians, ${nEach(fs.flatMap((f) => f.ns))})`;
  // Too long: the lowest and the highest loss rate stay.
  const full = text(fragments);
  return full.length <= ADDENDUM_MAX_CHARS || fragments.length <= 2 ? full : text([fragments[0]!, fragments.at(-1)!]);
}

/** C12: the connections the browser's pool opened for the page per case (medians), and the new ones when warm. */
export function c12Addendum(figs: BrowserFigures): string | null {
  const ps = flatChromium(figs);
  const at = firstCondition(ps, ['h1_keepalive']);
  if (at === null) return null;
  const ka = find(ps, 'h1_keepalive', 'cold', at.loss, at.cc)!;
  if (ka.connections === null) return null;
  const others: string[] = [];
  const h2 = find(ps, 'h2', 'cold', at.loss, at.cc)?.connections ?? null;
  if (h2 !== null) others.push(`${h2} on h2`);
  const close = find(ps, 'h1_close', 'cold', at.loss, at.cc)?.connections ?? null;
  if (close !== null) others.push(`${close} with Connection: close`);
  const warm = find(ps, 'h1_keepalive', 'warm', at.loss, at.cc);
  const warmNew = warm?.new_connections ?? null;
  const resources = ka.resources === null ? 'the page' : count(ka.resources, 'resource', 'resources');
  const warmText = warm && warmNew !== null ? ` and opened ${warmNew} new when warm` : '';
  const ns = [ka.page_ms.n, ...(warm && warmNew !== null ? [warm.page_ms.n] : [])];
  return `${aBrowser(ps)} used ${count(ka.connections, 'connection', 'connections')} for ${resources} on h1 keep-alive${others.length ? ` (${others.join(', ')})` : ''}${warmText} (medians, ${nEach(ns)}, ${at.loss} % loss, ${at.cc})`;
}

/** The lines for the verdicts of C1, C5 and C12, those the run has the figures for. */
export function browserAddenda(figs: BrowserFigures): Addendum[] {
  const out: Addendum[] = [];
  for (const [claim, text] of [
    ['C1', c1Addendum(figs)],
    ['C5', c5Addendum(figs)],
    ['C12', c12Addendum(figs)],
  ] as const)
    if (text !== null) out.push({ claim, text });
  return out;
}
