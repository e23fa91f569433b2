/**
 * `http.check` / `wait.until` never send configured headers (X-Api-Key, not
 * only Authorization) to another origin on a redirect (issue 14, item 5).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpRequest } from "../../src/actions/support/http-request.js";
import { startServer, type TestServer } from "../support/http-server.js";

const KEY = "redirect-SENTINEL-key-77a1";
let other: TestServer;
let home: TestServer;

beforeAll(async () => {
  other = await startServer([{ status: 200, body: "elsewhere" }]);
  home = await startServer((_n, req) => {
    if (req.url === "/away") return { status: 302, headers: { location: `${other.url}/landing` } };
    if (req.url === "/here") return { status: 307, headers: { location: "/final" } };
    return { status: 200, body: "home" };
  });
});
afterAll(async () => {
  await other.close();
  await home.close();
});

const headers = { "X-Api-Key": KEY, Authorization: `Bearer ${KEY}`, "X-Trace": "t-1" };

describe("redirects and configured headers", () => {
  it("drops every configured header when a redirect leaves the origin", async () => {
    const signal = new AbortController().signal;
    const out = await httpRequest({ url: `${home.url}/away`, method: "GET", headers, timeoutMs: 5_000, signal });
    expect(out).toMatchObject({ ok: true, status: 200, text: "elsewhere" });
    const landed = other.requests.at(-1)!;
    expect(landed.url).toBe("/landing");
    expect(JSON.stringify(landed.headers)).not.toContain(KEY);
    expect(landed.headers["x-trace"]).toBeUndefined();
  });

  it("keeps them on a redirect within the origin, with method and body of a 307", async () => {
    const signal = new AbortController().signal;
    const url = `${home.url}/here`;
    const out = await httpRequest({ url, method: "POST", headers, body: { a: 1 }, timeoutMs: 5_000, signal });
    expect(out).toMatchObject({ ok: true, status: 200, text: "home" });
    const final = home.requests.at(-1)!;
    expect(final).toMatchObject({ method: "POST", url: "/final", body: '{"a":1}' });
    expect(final.headers["x-api-key"]).toBe(KEY);
    expect(final.headers["content-type"]).toBe("application/json");
  });
});
