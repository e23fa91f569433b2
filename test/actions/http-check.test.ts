import { afterEach, describe, expect, it } from "vitest";
import { httpCheck } from "../../src/actions/http-check.js";
import { failureOf, makeContext, runAction } from "../support/context.js";
import { startServer, type TestServer } from "../support/http-server.js";
import { waitFor } from "../support/processes.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("http.check", () => {
  it("retries through 503s until a 200, reporting each attempt as progress", async () => {
    server = await startServer([{ status: 503, body: "warming up" }, { status: 503 }, { status: 200, body: "ok" }]);
    const { ctx, seen } = makeContext();
    const r = await runAction(httpCheck, { url: `${server.url}/health`, interval: "20ms", deadline: "5s" }, ctx);
    expect(r.outputs).toMatchObject({ status: 200, body: "ok" });
    expect(server.requests).toHaveLength(3);
    expect(seen.progress.map((p) => p.message)).toEqual([
      expect.stringMatching(/^attempt 1: got 503, body "warming up", want status 2xx \(/),
      expect.stringMatching(/^attempt 2: got 503, want status 2xx/),
    ]);
  });

  it("checks JSON values by path and extracts outputs", async () => {
    server = await startServer([
      { status: 200, body: { status: "Starting", version: "v2", checks: [{ name: "db", ok: false }] } },
      { status: 200, body: { status: "Healthy", version: "v2", checks: [{ name: "db", ok: true }] } },
    ]);
    const { ctx } = makeContext();
    const r = await runAction(
      httpCheck,
      {
        url: server.url,
        expect: {
          status: 200,
          json: [
            { path: "$.status", in: ["Healthy", "Degraded"] },
            { path: "$.checks[0].ok", equals: true },
          ],
        },
        outputs: { version: "$.version", db: "$.checks[0]" },
        interval: "10ms",
      },
      ctx,
    );
    expect(r.outputs).toMatchObject({ status: 200, version: "v2", db: { name: "db", ok: true } });
    expect(server.requests).toHaveLength(2);
  });

  it("sends method, headers and a JSON body", async () => {
    server = await startServer([{ status: 201, body: "created" }]);
    const { ctx } = makeContext();
    await runAction(
      httpCheck,
      {
        url: server.url,
        method: "POST",
        headers: { authorization: "Bearer t", "x-replicas": 3 },
        body: { a: 1 },
        expect: { status: [201, 202], bodyContains: "created" },
      },
      ctx,
    );
    const req = server.requests[0]!;
    expect(req.headers["x-replicas"]).toBe("3");
    expect(req.method).toBe("POST");
    expect(req.headers.authorization).toBe("Bearer t");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.body).toBe('{"a":1}');
  });

  it("fails at the deadline saying what was expected and what was last seen", async () => {
    server = await startServer([{ status: 200, body: { status: "Draining" } }]);
    const { ctx } = makeContext();
    const e = await failureOf(
      runAction(
        httpCheck,
        {
          url: server.url,
          expect: { json: [{ path: "$.status", equals: "Healthy" }] },
          interval: "20ms",
          deadline: "500ms",
        },
        ctx,
      ),
    );
    expect(e.message).toContain('expected status 2xx and $.status == "Healthy"');
    expect(e.message).toContain("last seen after");
    expect(e.message).toContain('$.status = "Draining"');
    expect(e.retryable).toBe(true);
    expect(server.requests.length).toBeGreaterThanOrEqual(2);
  });

  it("makes a single attempt with deadline 0 and reports a refused connection", async () => {
    server = await startServer([{ status: 200 }]);
    const url = server.url;
    await server.close();
    server = undefined;
    const e = await failureOf(runAction(httpCheck, { url, deadline: 0 }, makeContext().ctx));
    expect(e.message).toContain("after 1 attempt in");
    expect(e.message).toContain("connection refused");
  });

  it("counts a slow response as a failed attempt (requestTimeout)", async () => {
    server = await startServer([
      { status: 200, delayMs: 2_000 },
      { status: 200, body: "fast" },
    ]);
    const { ctx, seen } = makeContext();
    const r = await runAction(httpCheck, { url: server.url, requestTimeout: "100ms", interval: "10ms" }, ctx);
    expect(r.outputs?.body).toBe("fast");
    expect(seen.progress[0]?.message).toContain("no response within 100ms");
  });

  it("stops at once when the step is aborted, rethrowing the reason", async () => {
    server = await startServer([{ status: 503 }]);
    const controller = new AbortController();
    const { ctx, seen } = makeContext({ signal: controller.signal });
    const running = runAction(httpCheck, { url: server.url, interval: "10s", deadline: "1m" }, ctx);
    await waitFor(() => seen.progress.length > 0);
    const reason = new Error("cancelled by operator");
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(server.requests).toHaveLength(1);
  });

  it("redacts a secret in the URL and the body", async () => {
    const token = "tok-9f8e7d6c5b";
    server = await startServer([{ status: 500, body: `bad token ${token}` }]);
    const { ctx, seen } = makeContext({ secrets: [token] });
    const e = await failureOf(runAction(httpCheck, { url: `${server.url}/?token=${token}`, deadline: 0 }, ctx));
    expect(e.message).toContain("token=***");
    expect(e.message).toContain("bad token ***");
    expect(e.message + JSON.stringify(seen)).not.toContain(token);
  });

  it("refuses a malformed URL without retrying, and a GET with a body at validation", async () => {
    const e = await failureOf(runAction(httpCheck, { url: "localhost:8080/health" }, makeContext().ctx));
    expect(e.retryable).toBe(false);
    expect(httpCheck.with.safeParse({ url: "http://x", body: "b" }).success).toBe(false);
    expect(
      httpCheck.with.safeParse({ url: "http://x", expect: { json: [{ path: "status", equals: 1 }] } }).success,
    ).toBe(false);
    expect(
      httpCheck.with.safeParse({ url: "http://x", expect: { json: [{ path: "$.a", equals: 1, exists: true }] } })
        .success,
    ).toBe(false);
  });
});
