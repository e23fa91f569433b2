/** Chunked transfer coding (RFC 9112 §7.1), followed without decoding. */

/**
 * Follows a chunked body across reads (RFC 9112 §7.1) without copying it:
 * `scan` says how many bytes of a buffer belong to the body, and when the
 * last chunk and trailers have passed.
 */
export class ChunkedScanner {
  private state: "size" | "ext" | "sizeLf" | "data" | "dataCr" | "dataLf" | "trailerStart" | "trailer" | "trailerLf" | "endLf" | "done" = "size";
  private size = 0;
  private sizeDigits = 0;
  private remaining = 0;
  failed = false;

  get done(): boolean {
    return this.state === "done";
  }

  /** Bytes of `buf` (from `start`) that are body; stops at the end of the message. -1 on a framing error. */
  scan(buf: Buffer, start = 0): number {
    let i = start;
    while (i < buf.length && this.state !== "done") {
      if (this.state === "data") {
        const take = Math.min(this.remaining, buf.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = "dataCr";
        continue;
      }
      const c = buf[i++]!;
      switch (this.state) {
        case "size": {
          const digit = hexValue(c);
          if (digit >= 0 && this.sizeDigits < 12) {
            this.size = this.size * 16 + digit;
            this.sizeDigits++;
          } else if (this.sizeDigits > 0 && (c === 0x3b || c === 0x20 || c === 0x09)) this.state = "ext";
          else if (this.sizeDigits > 0 && c === 0x0d) this.state = "sizeLf";
          else return this.fail();
          break;
        }
        case "ext":
          if (c === 0x0d) this.state = "sizeLf";
          break;
        case "sizeLf":
          if (c !== 0x0a) return this.fail();
          this.remaining = this.size;
          this.state = this.size === 0 ? "trailerStart" : "data";
          this.size = 0;
          this.sizeDigits = 0;
          break;
        case "dataCr":
          if (c !== 0x0d) return this.fail();
          this.state = "dataLf";
          break;
        case "dataLf":
          if (c !== 0x0a) return this.fail();
          this.state = "size";
          break;
        case "trailerStart":
          this.state = c === 0x0d ? "endLf" : "trailer";
          break;
        case "trailer":
          if (c === 0x0d) this.state = "trailerLf";
          break;
        case "trailerLf":
          if (c !== 0x0a) return this.fail();
          this.state = "trailerStart";
          break;
        case "endLf":
          if (c !== 0x0a) return this.fail();
          this.state = "done";
          break;
      }
    }
    return i - start;
  }

  private fail(): number {
    this.failed = true;
    return -1;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
