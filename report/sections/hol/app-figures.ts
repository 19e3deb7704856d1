/** The application-level head-of-line figures of one profile (hol-app.csv), as analysis.ts derives them. */
import type { QuantileSummary } from '../../../lib/stats-summary.ts';

export interface AppFigures {
  profile: string;
  rtt_ms: number | null;
  delay_ms: number;
  /** Per mode: distribution of fast requests' delay vs alone (from batch start), and of blocked time. */
  fast_delay: Map<string, QuantileSummary>;
  fast_blocked: Map<string, QuantileSummary>;
  batch: Map<string, QuantileSummary>;
  /** Pipelined fast responses delayed ≥ D − tolerance, of all. */
  pipelined_delayed: { ok: number; n: number };
  /**
   * Batches in which every pipelined fast response was delayed ≥ D − tolerance, of all batches with one: the
   * independent unit (the responses of a batch all sit behind the same slow one).
   */
  pipelined_batches_held: { ok: number; n: number };
  /** Pipelined requests that got no response (a server that closes, or answers out of turn), of all sent. */
  pipelined_failed: { failed: number; n: number; first_error: string | null };
  /** h2 fast responses done within H2_UNBLOCKED_FACTOR × their unblocked time, of all. */
  h2_within: { ok: number; n: number };
  /** Median per mode × position of ready_ms (write + unblocked) and done_ms, for the timeline chart. */
  timeline: Array<{
    mode: string;
    pos: number;
    ready_ms: number | null;
    done_ms: number | null;
    write_ms: number | null;
  }>;
  errors: number;
}
