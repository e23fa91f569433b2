/**
 * The proxy's fast path: one client connection, parsed by hand. Each request
 * is routed on its own (to the slot live when its head arrives), written
 * upstream as one buffer, and its response streamed back while its framing
 * (length, chunked, or until close) says where it ends. A request this path
 * does not handle (HTTP/1.0, Upgrade, Expect, chunked bodies, odd syntax) is
 * handed, with the connection, to Node's HTTP server: the slow, general path.
 */
import type net from "node:net";
import { headEnd, localAnswer, MAX_REQUEST_HEAD, parseRequestHead, type RequestHead } from "./http1.js";
import { newExchange, REPLAY_LIMIT, type Exchange, type ProxyRouter } from "./exchange.js";
import type { UpstreamUser } from "./upstream-pool.js";

/** Pipelined bytes buffered behind the request in progress before the client is paused. */
const MAX_PIPELINED = 64 * 1024;

export class ClientConnection implements UpstreamUser {
  private buf: Buffer | undefined;
  private ex: Exchange | undefined;
  private closeAfter = false;
  /** The client half-closed: answer the requests it sent (pipelined ones too), then close. */
  private clientEnded = false;
  /** No further request will be read (closing, or handed to Node's server). */
  private finished = false;
  /** The router was told this connection is gone. */
  private released = false;
  private pausedForBuffer = false;
  private pausedForUpstream = false;
  private readonly remote: string;
  lastActive = Date.now();

  constructor(
    readonly socket: net.Socket,
    private readonly router: ProxyRouter,
  ) {
    this.remote = socket.remoteAddress ?? "";
    socket.setNoDelay(true);
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("error", this.onClose);
    socket.on("close", this.onClose);
    socket.on("drain", this.onDrain);
  }

  get busy(): boolean {
    return this.ex !== undefined;
  }

  /** Close once the exchange in progress (if any) is answered. */
  closeSoon(): void {
    if (this.ex) this.closeAfter = true;
    else this.socket.destroy();
  }

  private readonly onData = (data: Buffer): void => {
    this.lastActive = Date.now();
    if (this.finished) return;
    const ex = this.ex;
    if (ex && ex.bodyLeft > 0) {
      const take = Math.min(ex.bodyLeft, data.length);
      this.sendBody(ex, take === data.length ? data : data.subarray(0, take));
      if (take === data.length) return;
      data = data.subarray(take);
    }
    this.buf = this.buf ? Buffer.concat([this.buf, data]) : data;
    if (!this.ex) this.next();
    else if (this.buf.length > MAX_PIPELINED) {
      this.pausedForBuffer = true;
      this.socket.pause();
    }
  };

  /** The client half-closed: answer what is in progress and buffered (see endExchange), then close. */
  private readonly onEnd = (): void => {
    this.clientEnded = true;
    if (this.ex && this.ex.bodyLeft > 0) return this.abort();
    if (!this.ex) this.socket.end();
  };

  private readonly onClose = (): void => this.abort();

  private readonly onDrain = (): void => {
    this.ex?.up?.socket.resume();
  };

  /** Start the next complete request in the buffer, or hand the connection over. */
  private next(): void {
    const buf = this.buf;
    if (!buf || this.finished) return;
    const end = headEnd(buf);
    if (end < 0) {
      // Too long, or lines ended by bare LF: Node's parser gives the right answer (431, 400).
      if (buf.length > MAX_REQUEST_HEAD || buf.includes("\n\n")) this.handOff();
      return;
    }
    // A long head that arrived whole in one read gets the same answer (431) as one arriving in pieces.
    if (end > MAX_REQUEST_HEAD) return this.handOff();
    const head = parseRequestHead(buf.toString("latin1", 0, end), this.remote);
    if (!head) return this.handOff();
    this.buf = end < buf.length ? buf.subarray(end) : undefined;
    this.start(head);
  }

  private handOff(): void {
    this.finished = this.released = true;
    this.socket.off("data", this.onData).off("end", this.onEnd).off("error", this.onClose).off("close", this.onClose).off("drain", this.onDrain);
    this.router.closed(this);
    this.router.handOff(this.socket, this.buf);
    this.buf = undefined;
  }

  private start(head: RequestHead): void {
    if (head.close) this.closeAfter = true;
    const { slot, pool } = this.router.route();
    const ex = newExchange(slot, pool, head);
    this.ex = ex;
    if (pool.port === undefined) {
      this.respondLocally(ex, 503, `cutover: the live slot (${slot}) is not running\n`);
    } else {
      ex.id = this.router.track(slot, head.isWrite);
      ex.up = pool.acquire(this);
      ex.reused = ex.up.requests > 0;
      ex.up.socket.write(head.forwardHead, "latin1");
    }
    // Body bytes that came with the head.
    const buf = this.buf;
    if (ex.bodyLeft > 0 && buf) {
      const take = Math.min(ex.bodyLeft, buf.length);
      this.buf = take < buf.length ? buf.subarray(take) : undefined;
      this.sendBody(ex, take === buf.length ? buf : buf.subarray(0, take));
    }
  }

  private sendBody(ex: Exchange, part: Buffer): void {
    ex.bodyLeft -= part.length;
    if (ex.up && !ex.responseDone) {
      if (ex.copy && ex.copySize + part.length <= REPLAY_LIMIT) {
        ex.copy.push(part);
        ex.copySize += part.length;
      } else ex.copy = undefined;
      if (!ex.up.socket.write(part)) {
        this.pausedForUpstream = true;
        this.socket.pause();
      }
    }
    // Bytes of a request answered without the app (503, 502, an early answer) are read and dropped.
    if (ex.bodyLeft === 0 && ex.responseDone) this.endExchange();
  }

  onUpstreamDrain(): void {
    if (!this.pausedForUpstream) return;
    this.pausedForUpstream = false;
    if (!this.pausedForBuffer) this.socket.resume();
  }

  onUpstreamData(data: Buffer): void {
    const ex = this.ex!;
    ex.started = true;
    const step = ex.reader.push(data);
    if (step === undefined) return;
    if ("error" in step) return this.upstreamFailed(ex, step.error);
    for (const interim of step.interim) this.socket.write(interim, "latin1");
    let out = step.body;
    if (step.head) {
      ex.upstreamCloses = step.head.upstreamCloses;
      // A body that ends when the app closes can only end for the client the same way.
      if (ex.reader.endsAtClose) this.closeAfter = true;
      const head = Buffer.from(`${step.head.clientHead}x-cutover-slot: ${ex.slot}\r\n${this.closeAfter ? "connection: close\r\n" : ""}\r\n`, "latin1");
      ex.headSent = true;
      // The head and the body bytes that came with it leave in one write.
      out = out.length ? Buffer.concat([head, out]) : head;
    }
    if (out.length) this.write(out);
    if (step.done) this.finishResponse(ex);
  }

  private write(data: Buffer): void {
    if (!this.socket.write(data)) this.ex?.up?.socket.pause();
  }

  onUpstreamGone(error: NodeJS.ErrnoException | undefined): void {
    const ex = this.ex!;
    ex.up = undefined;
    if (ex.reader.endsAtClose && !error) return this.finishResponse(ex);
    if (ex.reused && !ex.started && !ex.replayed && ex.copy && ex.pool.port !== undefined) {
      // A kept-alive socket the app closed as we reused it: the request never
      // reached the app, so sending it once more on a new connection is safe.
      ex.replayed = true;
      ex.up = ex.pool.acquire(this, true);
      ex.up.socket.write(ex.head.forwardHead, "latin1");
      for (const part of ex.copy) ex.up.socket.write(part);
      return;
    }
    this.upstreamFailed(ex, error?.code ?? "connection closed");
  }

  private upstreamFailed(ex: Exchange, reason: string): void {
    if (ex.up) {
      const up = ex.up;
      ex.up = undefined;
      up.destroy();
    }
    if (ex.headSent) {
      // Part of the response is out: the client can only learn of the failure by the connection closing.
      this.abort();
      return;
    }
    this.respondLocally(ex, 502, `cutover: upstream ${ex.slot} failed: ${reason}\n`);
  }

  /** Answer from the proxy itself (no app, or the app failed before answering). */
  private respondLocally(ex: Exchange, status: 502 | 503, text: string): void {
    this.socket.write(localAnswer(status, ex.slot, text, this.closeAfter), "latin1");
    ex.headSent = true;
    this.finishResponse(ex);
  }

  private finishResponse(ex: Exchange): void {
    ex.responseDone = true;
    const up = ex.up;
    ex.up = undefined;
    if (up) {
      // An answer that came before the whole request body leaves the connection out of step.
      if (ex.bodyLeft > 0 || ex.upstreamCloses || ex.reader.overrun) up.destroy();
      else ex.pool.release(up);
    }
    // The rest of the body is dropped now: no upstream drain will come to resume a client paused for one.
    if (this.pausedForUpstream) this.onUpstreamDrain();
    if (ex.id) this.router.untrack(ex.slot, ex.id);
    ex.id = 0;
    if (ex.bodyLeft === 0) this.endExchange();
  }

  private endExchange(): void {
    this.ex = undefined;
    this.lastActive = Date.now();
    if (this.closeAfter) {
      this.finished = true;
      this.socket.end();
      return;
    }
    if (this.pausedForBuffer || this.pausedForUpstream) {
      this.pausedForBuffer = this.pausedForUpstream = false;
      this.socket.resume();
    }
    this.next();
    // Half-closed and nothing more to answer (setting closeAfter in onEnd would drop pipelined requests).
    if (this.clientEnded && !this.ex && !this.finished) {
      this.finished = true;
      this.socket.end();
    }
  }

  /** The client went away or the exchange cannot be completed: drop both sides. */
  private abort(): void {
    const ex = this.ex;
    this.ex = undefined;
    if (ex) {
      ex.up?.destroy();
      ex.up = undefined;
      if (ex.id) this.router.untrack(ex.slot, ex.id);
      ex.id = 0;
    }
    this.finished = true;
    if (!this.released) {
      this.released = true;
      this.router.closed(this);
    }
    this.socket.destroy();
  }
}
