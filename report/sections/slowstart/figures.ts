/** The slowstart section's figures (one per summary case) and C2's findings per profile and congestion control. */

export interface SlowstartFigure {
  /** The summary row's case_key: joins the figure to its samples. */
  case_key: string;
  profile: string;
  rtt_ms: number | null;
  part: string;
  protocol: string;
  state: string;
  idle_ms: number;
  cc: string;
  ssai: number;
  iw: number;
  h2_window: number | null;
  size_bytes: number;
  n: number;
  errors: number;
  median_ms: number | null;
  ci_low_ms: number | null;
  ci_high_ms: number | null;
  model_ms: number | null;
  /** median / RTT, and the model in the same unit. */
  rounds: number | null;
  model_rounds: number | null;
  /** "cold", "warm", "idle 1 s, ssai=1", … */
  label: string;
}

export interface C2Finding {
  profile: string;
  cc: string;
  /** Smallest swept size where warm beats cold by SAVED_ROUNDS_MIN RTT beyond the handshake; null: none. */
  threshold_bytes: number | null;
  /** Slow-start rounds the warm connection saves at the largest size (cold − 1 handshake RTT − warm), RTTs. */
  saved_rounds_largest: number | null;
  largest_bytes: number | null;
  /** Per idle gap and ssai: the most RTTs an idle request lost against warm of the same size, and that size. */
  idle_lost_rounds: Array<{ idle_ms: number; ssai: number; lost_rounds: number | null; size_bytes: number | null }>;
}
