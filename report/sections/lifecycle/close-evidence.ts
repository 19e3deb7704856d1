/**
 * C7's evidence, for the lifecycle scenario (the harness's Node server) and the policy scenario (any server under
 * test): the server's idle closes, in real seconds, against the first TCP keepalive probe (tcp_keepalive_time).
 *
 * A run watches few closes (the standard lifecycle run one, the policy scenario three): too few for a sampling CI
 * (a distribution-free 95 % bound of the median needs n ≥ 5 all on one side). But the close is the server's idle
 * timer: between connections it moves by timer lag, scheduling and a round trip — milliseconds to seconds — and
 * not by a factor of ten. So every close lying CLOSE_MARGIN_FACTOR× or more on the verdict's side of the probe
 * settles the question whatever n (a model bound, stated as such in the rule); failing that, CLOSE_ORDER_N or more
 * closes all on that side do (their extreme is a distribution-free one-sided bound of the median, coverage
 * 1 − 2^−n ≥ 96.9 %).
 */

/** How far (×) every close must lie from the probe for one trial to settle C7. */
export const CLOSE_MARGIN_FACTOR = 10;
/** From this many closes all on one side of the probe, their extreme bounds the median at ≥ 96.9 % (1 − 2^−5). */
export const CLOSE_ORDER_N = 5;

/** The evidence half of C7's rule, in words. */
export const CLOSE_EVIDENCE_RULE = `strong evidence when every close lies at least ${CLOSE_MARGIN_FACTOR}× on the verdict's side of the probe (an idle timer moves by milliseconds to seconds between connections, not tenfold, so even one trial excludes the other side), or when ${CLOSE_ORDER_N} or more closes all lie on that side (their extreme is then a distribution-free ≥ 96.9 % bound of the median, the closes — each connection's own timer, watched side by side — taken as independent); inconclusive otherwise`;

export interface CloseSpread {
  /** How many closes were measured. */
  count: number;
  min_s: number | null;
  max_s: number | null;
}

/** 'below': the verdict says the server closes before the probe (confirmed); 'above': after it (refuted). */
export function closeStrength(c: CloseSpread, probe_s: number, side: 'below' | 'above'): 'strong' | 'inconclusive' {
  if (c.count === 0 || c.min_s === null || c.max_s === null || !(probe_s > 0)) return 'inconclusive';
  const strong =
    side === 'below'
      ? c.max_s * CLOSE_MARGIN_FACTOR <= probe_s || (c.count >= CLOSE_ORDER_N && c.max_s < probe_s)
      : c.min_s >= probe_s * CLOSE_MARGIN_FACTOR || (c.count >= CLOSE_ORDER_N && c.min_s >= probe_s);
  return strong ? 'strong' : 'inconclusive';
}

/** The probe time over the latest close: how many times over the server's close beats keepalive's first probe. */
export function probeOverClose(c: CloseSpread, probe_s: number): number | null {
  return c.max_s !== null && c.max_s > 0 && probe_s > 0 ? Math.round((probe_s / c.max_s) * 10) / 10 : null;
}
