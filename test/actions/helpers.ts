/**
 * Test helpers for the generic actions: real child processes, a real local
 * HTTP server, and "is this process gone" checks.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { isCutoverError, type CutoverError } from "../../src/core/errors.js";

/** argv running a Node script: [node, -e, script]. */
export function nodeScript(script: string, ...args: string[]): string[] {
  return [process.execPath, "-e", script, ...args];
}

/** Poll `check` every 10 ms until it is truthy, failing after `ms`. */
export async function waitFor<T>(check: () => T | undefined | false, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`condition not met within ${ms} ms`);
}

/** Whether a pid is a live process (a zombie awaiting its reaper counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true;
  }
}

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
export async function startServer(replies: Reply[] | ((n: number, req: http.IncomingMessage) => Reply)): Promise<TestServer> {
  const requests: TestServer["requests"] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const n = requests.length;
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() });
      const reply = typeof replies === "function" ? replies(n, req) : (replies[Math.min(n, replies.length - 1)] ?? { status: 500 });
      const send = () => {
        const body = reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
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

/** The CutoverError a promise rejects with (fails the test if it resolves or rejects with something else). */
export async function failureOf(p: Promise<unknown>): Promise<CutoverError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isCutoverError(e)) throw new Error(`expected a CutoverError, got ${String(e)}`);
  return e;
}
