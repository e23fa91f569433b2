/**
 * Fault injection shared by the fake servers: a queue of faults, each
 * matching a method and path, consumed in order.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

type Fault =
  | { kind: "status"; status: number; retryAfterSeconds?: number; retryAfterMs?: number; times?: number }
  /** Destroy the socket without answering (ECONNRESET at the client). */
  | { kind: "reset"; times?: number }
  /** Never answer; the client's timeout or abort must fire. */
  | { kind: "hang"; times?: number };

export interface FaultRule {
  method?: string;
  path: RegExp;
  fault: Fault;
}

export class FaultInjector {
  private rules: Array<FaultRule & { left: number }> = [];
  /** Requests that a fault answered. */
  injected = 0;

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, left: rule.fault.times ?? 1 });
  }

  clear(): void {
    this.rules = [];
    this.injected = 0;
  }

  /** Apply a matching fault; true when the request was handled by it. */
  apply(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const rule = this.rules.find((r) => r.left > 0 && (!r.method || r.method === req.method) && r.path.test(pathname));
    if (!rule) return false;
    rule.left--;
    this.injected++;
    const f = rule.fault;
    if (f.kind === "reset") {
      req.socket.destroy();
      return true;
    }
    if (f.kind === "hang") {
      res.on("close", () => undefined);
      return true;
    }
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (f.retryAfterSeconds !== undefined) headers["retry-after"] = String(f.retryAfterSeconds);
    if (f.retryAfterMs !== undefined) headers["retry-after-ms"] = String(f.retryAfterMs);
    res.writeHead(f.status, headers);
    res.end(
      JSON.stringify({
        error: { code: f.status === 429 ? "TooManyRequests" : "ServiceUnavailable", message: `injected ${f.status}` },
      }),
    );
    return true;
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
