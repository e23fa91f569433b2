/**
 * Bounded capture of a child process's output. A command may print
 * gigabytes; we keep only the tail (the end of a log is where the error is)
 * and hand complete lines to a callback for live, redacted logging.
 *
 * A line longer than MAX_LINE is passed on in pieces. Cutting text in two
 * can split a secret so that neither half is recognised, so when a `redact`
 * function is given the capture redacts before it cuts, and only cuts where
 * at least SECRET_HOLD characters follow: every secret that starts before
 * the cut is then whole in the text redacted (docs/security.md).
 */

/** Default bound for captured stdout/stderr and for outputs built from them. */
export const OUTPUT_LIMIT = 64 * 1024;

/** Longest line passed to the line callback; a longer run without newline is passed in pieces. */
const MAX_LINE = 8 * 1024;

/** Longest secret (on one line) that a cut is guaranteed not to split. */
const SECRET_HOLD = 8 * 1024;

/** Characters dropped from the start of a cut tail that has no line boundary (without a `redact`). */
const SECRET_MARGIN = 1024;

export class TailCapture {
  private text = "";
  private pending = "";
  /** Characters seen in total (not only kept). */
  total = 0;

  /**
   * @param redact when given, lines passed to `onLine` and the kept tail are
   *   redacted by the capture itself, across its cuts.
   */
  constructor(
    private readonly limit: number = OUTPUT_LIMIT,
    private readonly onLine?: (line: string) => void,
    private readonly redact?: (text: string) => string,
  ) {}

  /** Add decoded text (use a utf8-decoding stream so multi-byte characters are never split). */
  push(chunk: string): void {
    this.total += chunk.length;
    this.text += chunk;
    // Trim lazily (at twice the limit) so a stream of small chunks is not quadratic.
    if (this.text.length > this.limit * 2) this.text = this.clean(this.text).slice(-this.limit);
    if (!this.onLine) return;
    this.pending += chunk;
    let nl: number;
    while ((nl = this.pending.indexOf("\n")) !== -1) {
      this.onLine(this.clean(this.pending.slice(0, nl).replace(/\r$/, "")));
      this.pending = this.pending.slice(nl + 1);
    }
    this.cutLongLine();
  }

  /** Pass on a last line that had no newline. */
  flush(): void {
    // The output is complete: every secret in it is whole, so redact, then cut at the line bound.
    let rest = this.onLine ? this.clean(this.pending.replace(/\r$/, "")) : "";
    for (; rest.length > MAX_LINE; rest = rest.slice(MAX_LINE)) this.onLine!(rest.slice(0, MAX_LINE));
    if (rest.length > 0) this.onLine!(rest);
    this.pending = "";
  }

  get truncated(): boolean {
    return this.total > this.limit;
  }

  /**
   * The kept tail (redacted when the capture has a `redact`). When output was
   * cut, the tail starts at a line boundary so that a secret straddling the
   * cut is never half-kept where redaction cannot recognise it.
   */
  get value(): string {
    const text = this.clean(this.text);
    if (!this.truncated) return text;
    const tail = text.slice(-this.limit);
    const nl = tail.indexOf("\n");
    if (nl !== -1) return tail.slice(nl + 1);
    // One enormous line: drop a margin longer than any secret the capture guarantees to mask.
    return tail.slice(this.redact ? Math.min(SECRET_HOLD, Math.floor(tail.length / 2)) : SECRET_MARGIN);
  }

  /** The last `n` non-empty lines of the kept tail. */
  lastLines(n: number): string[] {
    return this.value
      .split(/\r?\n/)
      .filter((l) => l.trim() !== "")
      .slice(-n);
  }

  private clean(text: string): string {
    return this.redact ? this.redact(text) : text;
  }

  private cutLongLine(): void {
    if (!this.redact) {
      while (this.pending.length > MAX_LINE) {
        this.onLine!(this.pending.slice(0, MAX_LINE));
        this.pending = this.pending.slice(MAX_LINE);
      }
      return;
    }
    while (this.pending.length >= MAX_LINE + SECRET_HOLD) {
      // Redacted first: a secret that starts before the cut ends within the hold, so it is masked whole.
      const redacted = this.redact(this.pending);
      this.pending = redacted;
      if (redacted.length < MAX_LINE + SECRET_HOLD) return;
      this.onLine!(redacted.slice(0, MAX_LINE));
      this.pending = redacted.slice(MAX_LINE);
    }
  }
}
