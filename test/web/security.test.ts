/** The serve page's security helpers: which hosts count as loopback, token comparison, the bind refusal. */
import { describe, expect, it } from "vitest";
import { assertBindAllowed, isLoopback, newToken, tokensEqual } from "../../src/web/security.js";
import { chromiumBinary } from "../support/system.js";

describe("web security helpers", () => {
  it("counts only loopback names and addresses as loopback", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"])
      expect(isLoopback(h), h).toBe(true);
    for (const h of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "localhost.evil.example", "128.0.0.1", "example.com"])
      expect(isLoopback(h), h).toBe(false);
  });

  it("compares tokens exactly, whatever their lengths", () => {
    const t = newToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokensEqual(t, t)).toBe(true);
    expect(tokensEqual(`${t}x`, t)).toBe(false);
    expect(tokensEqual(t.slice(0, -1), t)).toBe(false);
    expect(tokensEqual("", t)).toBe(false);
    expect(newToken()).not.toBe(t);
  });

  it("refuses a non-loopback bind unless --allow-remote", () => {
    expect(() => assertBindAllowed("0.0.0.0", false)).toThrow(/not a loopback address.*plain HTTP/);
    expect(() => assertBindAllowed("0.0.0.0", true)).not.toThrow();
    expect(() => assertBindAllowed("127.0.0.1", false)).not.toThrow();
  });
});

describe("the browser tests' Chromium", () => {
  it("missing, it is one line that says how to get it", () => {
    const e = (() => {
      try {
        chromiumBinary("/nonexistent/chromium");
      } catch (err) {
        return err as Error;
      }
      throw new Error("no error");
    })();
    expect(e.message).toBe(
      "chromium is not installed: run tools/test-deps.sh as root (npm test runs it first), or: apt-get install chromium",
    );
    expect(e.stack).not.toContain("\n");
  });
});
