/**
 * Progress on stderr: scenario, case, work unit i/n, ETA. Rewrites one line on a TTY; prints a line every few
 * seconds otherwise. Never colours (so NO_COLOR holds trivially); TERM=dumb counts as no TTY.
 * Quiet (`npm run bench -- --quiet`): no progress line and no notes (isNote); warnings, failures, signals and
 * cleanup messages still print.
 */
export class Progress {
  private readonly tty: boolean;
  private lastPrint_ms = 0;
  private done = 0;
  private total = 0;
  /** The ETA counts from the first unit of work, not from set-up. */
  private start_ms: number | null = null;
  private lineOpen = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {
    this.tty = Boolean(stream.isTTY) && process.env.TERM !== 'dumb';
  }

  /** Adds planned work units (e.g. requests) to the total the ETA is computed from. */
  plan(units: number): void {
    this.total += units;
  }

  advance(units: number, label: string): void {
    const now = Date.now();
    this.start_ms ??= now;
    this.done += units;
    if (this.quiet || now - this.lastPrint_ms < (this.tty ? 200 : 5_000)) return;
    this.lastPrint_ms = now;
    const pct = this.total > 0 ? Math.min(100, (100 * this.done) / this.total) : 0;
    const elapsed_s = (now - (this.start_ms ?? now)) / 1000;
    const eta_s = this.done > 0 && this.total > this.done ? (elapsed_s * (this.total - this.done)) / this.done : 0;
    const line = `${label}  ${Math.min(this.done, this.total)}/${this.total}  ${pct.toFixed(0)}%  elapsed ${fmtDuration(elapsed_s)}  ETA ${fmtDuration(eta_s)}`;
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.lineOpen = true;
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** A message that must not be overwritten by the progress line (a note is left out when quiet). */
  log(message: string): void {
    if (this.quiet && isNote(message)) return;
    if (this.lineOpen) {
      this.stream.write('\r\x1b[2K');
      this.lineOpen = false;
    }
    this.stream.write(`${message}\n`);
  }

  finish(): void {
    if (this.lineOpen) this.stream.write('\r\x1b[2K');
    this.lineOpen = false;
  }
}

/**
 * What a quiet run leaves out: the per-profile notes ("[wan] calibrating the link…", "[lan] cost skipped: …"),
 * the link chosen and the server-under-test lines; a note that carries a warning, an error or a failure is kept.
 */
export function isNote(message: string): boolean {
  if (/\b(warning|failed|error)\b/i.test(message)) return false;
  return /^\[[^\]]+\] /.test(message) || /^(link|server under test): /.test(message);
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}
