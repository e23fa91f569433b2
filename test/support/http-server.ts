/** A real loopback HTTP server answering from a script of replies, recording what it was sent. */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Reply {
  status: number;
  body?: string | object;
  headers?: Record<string, string>;
  /** Hold the response this long (for request timeouts). */
  delayMs?: number;
}

export interface TestServer {
  url: string;
  /** Requests seen: method, url, headers, body. */
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP server answering from `replies`: the n-th request gets the
 * n-th reply (the last one repeats), or a function computes it.
 */
export async function startServer(
  replies: Reply[] | ((n: number, req: http.IncomingMessage) => Reply),
): Promise<TestServer> {
  const requests: TestServer["requests"] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const n = requests.length;
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const reply =
        typeof replies === "function" ? replies(n, req) : (replies[Math.min(n, replies.length - 1)] ?? { status: 500 });
      const send = () => {
        const body =
          reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
        const type = typeof reply.body === "object" ? "application/json" : "text/plain";
        res.writeHead(reply.status, { "content-type": type, ...reply.headers });
        res.end(body);
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
