import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../../src/actions/wait-until.js";
import { failureOf, makeContext, runAction } from "../support/context.js";
import { startServer, type TestServer } from "../support/http-server.js";
import { nodeScript, waitFor } from "../support/processes.js";

let server: TestServer | undefined;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "cutover-wait-"));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("wait.until", () => {
  it("polls an HTTP JSON value until the condition holds, riding out failed polls", async () => {
    server = await startServer([
      { status: 503, body: "starting" },
      { status: 200, body: { inFlight: 3 } },
      { status: 200, body: { inFlight: 1 } },
      { status: 200, body: { inFlight: 0 } },
    ]);
    const { ctx, seen } = makeContext();
    const r = await runAction(
      waitUntil,
      {
        http: { url: `${server.url}/admin/inflight`, path: "$.inFlight" },
        condition: { equals: 0 },
        interval: "10ms",
        deadline: "10s",
      },
      ctx,
    );
    expect(r.outputs).toMatchObject({ value: 0, polls: 4 });
    expect(typeof r.outputs?.elapsedMs).toBe("number");
    const messages = seen.progress.map((p) => p.message);
    expect(messages[0]).toMatch(/^poll 1: got 503 "starting" \(want == 0\), .* left$/);
    expect(messages[1]).toMatch(
      /^poll 2: \$\.inFlight of http:\/\/127\.0\.0\.1:\d+\/admin\/inflight = 3 \(want == 0\)/,
    );
    expect(messages).toHaveLength(3);
  });

  it("supports ordering, membership and regex conditions", async () => {
    server = await startServer((n) => ({
      status: 200,
      body: { load: 90 - n * 30, state: n < 2 ? "Draining" : "Ready" },
    }));
    const cases = [
      [{ lessThanOrEqual: 30 }, "$.load", 30],
      [{ in: ["Ready", "Idle"] }, "$.state", "Ready"],
      [{ matches: "^Rea" }, "$.state", "Ready"],
      [{ notEquals: "Draining" }, "$.state", "Ready"],
    ] as const;
    for (const [condition, p, expected] of cases) {
      server.requests.length = 0;
      const r = await runAction(
        waitUntil,
        { http: { url: server.url, path: p }, condition, interval: "1ms", deadline: "5s" },
        makeContext().ctx,
      );
      expect(r.outputs?.value).toEqual(expected);
    }
  });

  it("polls a command's stdout, parsed as JSON", async () => {
    const counter = path.join(dir, "count");
    await writeFile(counter, "0");
    // Each run bumps the counter and prints {"ready": count >= 3}.
    const script =
      "const fs=require('fs');const f=process.argv[1];const " +
      "n=+fs.readFileSync(f,'utf8')+1;fs.writeFileSync(f,String(n));console.log(JSON.stringify({ready:n>=3,n}))";
    const { ctx } = makeContext({ baseDir: dir });
    const r = await runAction(
      waitUntil,
      {
        command: nodeScript(script, counter),
        condition: { matches: '"ready":true' },
        interval: "10ms",
        deadline: "10s",
      },
      ctx,
    );
    expect(r.outputs?.value).toEqual({ ready: true, n: 3 });
    expect(r.outputs?.polls).toBe(3);
  });

  it("treats a failing command as a failed poll and says so at the deadline", async () => {
    const { ctx } = makeContext();
    const e = await failureOf(
      runAction(
        waitUntil,
        {
          command: nodeScript("console.error('not ready yet'); process.exit(2)"),
          condition: { equals: "ok" },
          interval: "50ms",
          deadline: "150ms",
        },
        ctx,
      ),
    );
    expect(e.message).toMatch(/did not hold within 150ms \(\d+ polls?\); last: .* exited with code 2: not ready yet/);
  });

  it("fails at the deadline with the last observed value", async () => {
    server = await startServer([{ status: 200, body: { inFlight: 7 } }]);
    const e = await failureOf(
      runAction(
        waitUntil,
        {
          http: { url: server.url, path: "$.inFlight" },
          condition: { equals: 0 },
          interval: "40ms",
          deadline: "120ms",
        },
        makeContext().ctx,
      ),
    );
    expect(e.message).toContain("$.inFlight of");
    expect(e.message).toContain("== 0 did not hold within 120ms");
    expect(e.message).toContain("= 7");
  });

  it("stops at once when aborted, rethrowing the reason", async () => {
    server = await startServer([{ status: 200, body: { inFlight: 5 } }]);
    const controller = new AbortController();
    const { ctx, seen } = makeContext({ signal: controller.signal });
    const running = runAction(
      waitUntil,
      { http: { url: server.url, path: "$.inFlight" }, condition: { equals: 0 }, interval: "30s" },
      ctx,
    );
    await waitFor(() => seen.progress.length > 0);
    const reason = new Error("timeout");
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
  });

  it("validates the source and that there is exactly one operator", () => {
    const http = { url: "http://x" };
    expect(waitUntil.with.safeParse({ http, condition: { equals: 0 } }).success).toBe(true);
    expect(waitUntil.with.safeParse({ http, condition: { equals: null } }).success).toBe(true);
    expect(waitUntil.with.safeParse({ condition: { equals: 0 } }).success).toBe(false);
    expect(waitUntil.with.safeParse({ http, command: ["x"], condition: { equals: 0 } }).success).toBe(false);
    expect(waitUntil.with.safeParse({ http, condition: {} }).success).toBe(false);
    expect(waitUntil.with.safeParse({ http, condition: { equals: 0, lessThan: 1 } }).success).toBe(false);
    expect(waitUntil.with.safeParse({ http, condition: { matches: "(" } }).success).toBe(false);
    expect(waitUntil.with.safeParse({ http, condition: { exists: true }, deadline: "forever" }).success).toBe(false);
  });
});
