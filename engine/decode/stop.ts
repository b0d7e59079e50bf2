/**
 * Stop strings over streamed text. `push(piece)` appends newly decoded text and returns the part
 * that is safe to show: text that cannot be the start of a stop string is released at once, a
 * tail that might grow into one is held back. When a stop string appears, `stopped` turns true
 * and the text before it (never the stop string) is what was and will be released.
 *
 * Extend: regex stops would replace `indexOf` here; the hold-back rule stays the same.
 */

export class StopMatcher {
  private text = '';
  private released = 0;
  stopped = false;

  constructor(private readonly stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** Full text released so far (after a stop: everything before the stop string). */
  get output(): string {
    return this.text.slice(0, this.released);
  }

  push(piece: string): string {
    if (this.stopped) return '';
    const from = Math.max(0, this.text.length - Math.max(0, ...this.stops.map((s) => s.length - 1)));
    this.text += piece;
    let cut = -1;
    for (const s of this.stops) {
      const i = this.text.indexOf(s, from);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.stopped = true;
      this.text = this.text.slice(0, cut);
      return this.releaseTo(cut);
    }
    // hold back the longest tail that is a proper prefix of some stop string
    let hold = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, this.text.length); n > hold; n--) {
        if (this.text.endsWith(s.slice(0, n))) {
          hold = n;
          break;
        }
      }
    }
    return this.releaseTo(this.text.length - hold);
  }

  /** End of stream: releases what was held back. */
  flush(piece = ''): string {
    if (this.stopped) return '';
    this.text += piece;
    return this.releaseTo(this.text.length);
  }

  private releaseTo(n: number): string {
    if (n <= this.released) return '';
    const out = this.text.slice(this.released, n);
    this.released = n;
    return out;
  }
}
