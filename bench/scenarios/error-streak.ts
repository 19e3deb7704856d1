/**
 * Stops a case that keeps failing: errors are data, but a server that died or a link that vanished would
 * otherwise make an adaptive case (whose CI never gets precise) spend its whole sample budget on failures.
 */
export const MAX_CONSECUTIVE_ERRORS = 10;

export class ErrorStreak {
  private streak = 0;
  lastError: string | null = null;

  /** Records one outcome; true when the case has now failed MAX_CONSECUTIVE_ERRORS times in a row. */
  record(error: string | null): boolean {
    if (error === null) {
      this.streak = 0;
      return false;
    }
    this.streak++;
    this.lastError = error;
    return this.streak >= MAX_CONSECUTIVE_ERRORS;
  }
}
