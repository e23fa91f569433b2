/**
 * Follows one response from an app through the proxy's fast path: its head
 * (after any interim 1xx heads), then its body, by the framing the head
 * declared, across as many reads as it takes. It copies nothing but a head
 * split across reads; it decides nothing about connections.
 */
import { ChunkedScanner } from "./chunked.js";
import { headEnd, MAX_RESPONSE_HEAD, parseResponseHead, type ResponseHead } from "./http1.js";

/** What one read from the app amounts to. */
export interface ResponseStep {
  /** Interim (1xx) heads to pass on as they are, blank line included. */
  interim: string[];
  /** The final head, on the read that completed it. */
  head?: ResponseHead;
  /** The bytes of this read that belong to the body. */
  body: Buffer;
  /** The response is complete (an app that reads to close: only when it closes). */
  done: boolean;
}

export class ResponseReader {
  private partial: Buffer | undefined;
  private head: ResponseHead | undefined;
  private left = 0;
  private chunks: ChunkedScanner | undefined;
  /** Bytes arrived past the response's end: the app broke framing, and its connection cannot be reused. */
  overrun = false;

  constructor(private readonly method: string) {}

  /** The body runs until the app closes its connection. */
  get endsAtClose(): boolean {
    return this.head?.framing.kind === "close";
  }

  /** Take a read from the app: what to pass on, undefined while a head is incomplete, or why it failed. */
  push(data: Buffer): ResponseStep | { error: string } | undefined {
    const interim: string[] = [];
    let head: ResponseHead | undefined;
    if (!this.head) {
      data = this.partial ? Buffer.concat([this.partial, data]) : data;
      this.partial = undefined;
      for (;;) {
        const end = headEnd(data);
        if (end < 0) {
          if (data.length > MAX_RESPONSE_HEAD) return { error: "response head too large" };
          this.partial = data;
          // Interim heads already complete still go out now.
          return interim.length ? { interim, body: Buffer.alloc(0), done: false } : undefined;
        }
        const parsed = parseResponseHead(data.toString("latin1", 0, end), this.method);
        // 101 answers an Upgrade, which the fast path never forwards.
        if (!parsed || parsed.status === 101) return { error: "invalid response" };
        data = data.subarray(end);
        if (parsed.interim) {
          interim.push(`${parsed.clientHead}\r\n`);
          continue;
        }
        head = this.head = parsed;
        if (parsed.framing.kind === "length") this.left = parsed.framing.length;
        if (parsed.framing.kind === "chunked") this.chunks = new ChunkedScanner();
        break;
      }
    }
    const body = this.bodyOf(data);
    if (body === undefined) return { error: "bad chunked encoding" };
    return { interim, head, body, done: this.complete() };
  }

  /** The part of `data` that belongs to the body; undefined after a framing error. */
  private bodyOf(data: Buffer): Buffer | undefined {
    const framing = this.head!.framing;
    let take = data.length;
    if (framing.kind === "none") take = 0;
    else if (framing.kind === "length") {
      take = Math.min(this.left, data.length);
      this.left -= take;
    } else if (framing.kind === "chunked") {
      take = this.chunks!.scan(data);
      if (take < 0) return undefined;
    }
    if (take < data.length) this.overrun = true;
    return take === data.length ? data : data.subarray(0, take);
  }

  private complete(): boolean {
    const kind = this.head!.framing.kind;
    return kind === "none" || (kind === "length" && this.left === 0) || (kind === "chunked" && this.chunks!.done);
  }
}
