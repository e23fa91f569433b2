/**
 * Bounded capture of a child process's output. A command may print
 * gigabytes; we keep only the tail (the end of a log is where the error is)
 * and hand complete lines to a callback for live, redacted logging.
 */

/** Default bound for captured stdout/stderr and for outputs built from them. */
export const OUTPUT_LIMIT = 64 * 1024;

/** Longest line passed to the line callback; a longer run without newline is passed in pieces. */
const MAX_LINE = 8 * 1024;

/** Characters dropped from the start of a cut tail that has no line boundary. */
const SECRET_MARGIN = 1024;

export class TailCapture {
  private text = "";
  private pending = "";
  /** Characters seen in total (not only kept). */
  total = 0;

  constructor(
    private readonly limit: number = OUTPUT_LIMIT,
    private readonly onLine?: (line: string) => void,
  ) {}

  /** Add decoded text (use a utf8-decoding stream so multi-byte characters are never split). */
  push(chunk: string): void {
    this.total += chunk.length;
    this.text += chunk;
    // Trim lazily (at twice the limit) so a stream of small chunks is not quadratic.
    if (this.text.length > this.limit * 2) this.text = this.text.slice(-this.limit);
    if (!this.onLine) return;
    this.pending += chunk;
    let nl: number;
    while ((nl = this.pending.indexOf("\n")) !== -1) {
      this.onLine(this.pending.slice(0, nl).replace(/\r$/, ""));
      this.pending = this.pending.slice(nl + 1);
    }
    while (this.pending.length > MAX_LINE) {
      this.onLine(this.pending.slice(0, MAX_LINE));
      this.pending = this.pending.slice(MAX_LINE);
    }
  }

  /** Pass on a last line that had no newline. */
  flush(): void {
    if (this.onLine && this.pending.length > 0) this.onLine(this.pending.replace(/\r$/, ""));
    this.pending = "";
  }

  get truncated(): boolean {
    return this.total > this.limit;
  }

  /**
   * The kept tail. When output was cut, the tail starts at a line boundary so
   * that a secret straddling the cut is never half-kept where redaction
   * cannot recognise it.
   */
  get value(): string {
    if (!this.truncated) return this.text;
    const tail = this.text.slice(-this.limit);
    const nl = tail.indexOf("\n");
    // One enormous line: drop a margin longer than any plausible secret token instead.
    return nl === -1 ? tail.slice(SECRET_MARGIN) : tail.slice(nl + 1);
  }

  /** The last `n` non-empty lines of the kept tail. */
  lastLines(n: number): string[] {
    return this.value
      .split(/\r?\n/)
      .filter((l) => l.trim() !== "")
      .slice(-n);
  }
}
