/**
 * A loopback HTTP proxy in front of Azurite that can lose one answer: the
 * request is forwarded and committed upstream, then the client's socket is
 * destroyed before the answer reaches it. The SDK sees ECONNRESET and retries
 * a write that already happened, as on a real network (issue 12 item 6).
 */
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface DroppingProxy {
  port: number;
  /** Lose the answer of the next request for which `match` is true. */
  dropNext(match: (method: string, path: string) => boolean): void;
  /** Answers lost so far. */
  readonly dropped: number;
  close(): Promise<void>;
}

export async function startDroppingProxy(upstreamPort: number): Promise<DroppingProxy> {
  let rule: ((method: string, path: string) => boolean) | undefined;
  let dropped = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const drop = rule?.(req.method ?? "", req.url ?? "") ?? false;
      if (drop) rule = undefined;
      const up = request(
        { host: "127.0.0.1", port: upstreamPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const body: Buffer[] = [];
          answer.on("data", (c: Buffer) => body.push(c));
          answer.on("end", () => {
            if (drop) {
              dropped++;
              req.socket.destroy(); // committed upstream; the client never hears of it
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(body));
          });
        },
      );
      up.on("error", () => req.socket.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    dropNext(match) {
      rule = match;
    },
    get dropped() {
      return dropped;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
