/**
 * One request through the local proxy: from Node's HTTP server to the live
 * slot's undici pool and back, bodies streamed both ways with backpressure.
 * It is counted in flight on its slot from the moment its head is read until
 * its answer is sent or its client goes away.
 *
 * A request whose connection to the app breaks before any answer is sent once
 * more only if it is idempotent and has no body (GET, HEAD, OPTIONS): RFC 9110
 * §9.2.2 forbids a proxy to retry anything else, since the app may have acted
 * on it. Otherwise the client gets 502 (or, once part of the answer is out,
 * its connection is closed, the only way left to say the answer is cut).
 */
import type http from "node:http";
import { PassThrough } from "node:stream";
import type { Dispatcher, Pool } from "undici";
import { requestHeaders, responseHeaders, trailerList } from "./proxy-headers.js";
import { isWrite, type InFlight } from "./proxy-in-flight.js";
import type { SlotName } from "../../core/slots.js";

/** Methods sent again after a broken connection, and only when the app has not answered at all. */
const REPLAYABLE = new Set(["GET", "HEAD", "OPTIONS"]);
/** Errors that mean the connection broke (not a refused connection, nor a malformed answer). */
const CONNECTION_LOST = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

/** The live slot when a request's head is read, and its pool (undefined: no process in the slot). */
export interface Route {
  slot: SlotName;
  pool: Pool | undefined;
}

/** An answer from the proxy itself: the app is not running (503) or failed before answering (502). */
function answerLocally(res: http.ServerResponse, slot: SlotName, status: 502 | 503, text: string): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "retry-after": "1",
    "x-cutover-slot": slot,
  });
  res.end(text);
}

function reason(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code} (${err.message})` : err.message;
}

export function forward(route: Route, inFlight: InFlight, req: http.IncomingMessage, res: http.ServerResponse): void {
  const { slot, pool } = route;
  if (!pool) return answerLocally(res, slot, 503, `cutover: the live slot (${slot}) is not running\n`);
  new Exchange(slot, pool, inFlight, req, res).send();
}

/** The undici handler of one request (and of its single replay, if it has one). */
class Exchange implements Dispatcher.DispatchHandler {
  private readonly id: number;
  private readonly headers: string[];
  /** The request body on its way to the app; undefined when the request has none. */
  private readonly body: PassThrough | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  /** Some answer (even an interim 1xx) came from the app: it has seen the request. */
  private heard = false;
  private replayed = false;
  /** The client's response is finished or its connection is gone. */
  private closed = false;

  constructor(
    private readonly slot: SlotName,
    private readonly pool: Pool,
    private readonly inFlight: InFlight,
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
  ) {
    this.id = inFlight.track(slot, isWrite(req.method));
    this.headers = requestHeaders(req, false);
    const length = req.headers["content-length"];
    if ((length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined) {
      // undici destroys the body it was given when the exchange ends early: that must not close the client's
      // connection, so it gets a stream of its own.
      this.body = req.pipe(new PassThrough());
      this.body.on("error", () => undefined);
    }
    res.on("drain", () => this.controller?.resume());
    res.on("close", () => this.onClose());
  }

  send(): void {
    const { req, headers, body } = this;
    this.pool.dispatch({ path: req.url ?? "/", method: req.method ?? "GET", headers, body: body ?? null }, this);
  }

  /** The app is done with this request (answered, failed, or abandoned): it no longer counts in flight. */
  private done(): void {
    this.inFlight.untrack(this.slot, this.id);
  }

  private onClose(): void {
    this.closed = true;
    this.done();
    if (!this.res.writableFinished) this.controller?.abort(new Error("the client went away"));
    // Answered before the whole body was read (an early 413, a 502): drop the rest so the connection can go on.
    if (this.body && !this.req.readableEnded) {
      this.req.unpipe(this.body);
      this.req.resume();
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.closed) controller.abort(new Error("the client went away"));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    this.heard = true;
    if (this.closed) return;
    if (status < 200) {
      if (status === 103 && headers.link) this.res.writeEarlyHints({ link: headers.link });
      else if (status === 102) this.res.writeProcessing();
      return;
    }
    try {
      this.res.writeHead(status, statusMessage || undefined, responseHeaders(headers, this.slot));
    } catch (err) {
      controller.abort(err as Error);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) controller.pause();
  }

  onResponseEnd(
    _controller: Dispatcher.DispatchController,
    trailers: Record<string, string | string[] | undefined>,
  ): void {
    this.done();
    const list = trailerList(trailers);
    try {
      if (list.length) this.res.addTrailers(list);
    } catch {
      // A trailer Node refuses to send is dropped; the body is complete.
    }
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.closed) return;
    const code = (err as NodeJS.ErrnoException).code ?? "";
    const replay =
      !this.heard && !this.replayed && !this.body && REPLAYABLE.has(this.req.method ?? "") && CONNECTION_LOST.has(code);
    if (replay && !this.res.headersSent) {
      this.replayed = true;
      this.controller = undefined;
      return this.send();
    }
    this.done();
    if (this.res.headersSent) this.res.destroy();
    else answerLocally(this.res, this.slot, 502, `cutover: upstream ${this.slot} failed: ${reason(err)}\n`);
  }
}
