import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";
import { FileFlagStore } from "../../src/providers/file/index.js";
import { expectCode } from "../store-contract.js";
import { tempDir } from "./helpers.js";

let dir: string;
let cleanup: () => Promise<void>;
let flags: FileFlagStore;
let file: string;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  file = path.join(dir, "state", "flags.json");
  flags = new FileFlagStore(file);
});
afterEach(async () => {
  await cleanup();
});

describe("file flag store", () => {
  it("reports a missing flag as value undefined without an etag", async () => {
    expect(await flags.get("MaintenanceMode")).toEqual({ value: undefined });
  });

  it("stores values of any JSON type in { flags: { name: { value, etag } } } with mode 0600", async () => {
    const etag = await flags.set("MaintenanceMode", true);
    await flags.set("Banner", { text: "back soon", level: 2 });
    expect(await flags.get("MaintenanceMode")).toEqual({ value: true, etag });
    expect((await flags.get("Banner")).value).toEqual({ text: "back soon", level: 2 });
    const doc = JSON.parse(await readFile(file, "utf8")) as { flags: Record<string, { value: unknown; etag: string }> };
    expect(doc.flags.MaintenanceMode).toEqual({ value: true, etag });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
  });

  it("gives every write a new etag", async () => {
    const a = await flags.set("f", 1);
    const b = await flags.set("f", 1);
    const c = await flags.set("g", 1);
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it("writes with a current ifEtag and refuses a stale one with a Provider error", async () => {
    const first = await flags.set("MaintenanceMode", false);
    const second = await flags.set("MaintenanceMode", true, { ifEtag: first });
    const e = await expectCode(flags.set("MaintenanceMode", false, { ifEtag: first }), ErrorCode.Provider);
    expect(e.message).toContain("flag MaintenanceMode was changed by someone else");
    expect(await flags.get("MaintenanceMode")).toEqual({ value: true, etag: second });
  });

  it("refuses an ifEtag for a flag that no longer exists", async () => {
    const etag = await flags.set("f", 1);
    await flags.delete("f");
    await expectCode(flags.set("f", 2, { ifEtag: etag }), ErrorCode.Provider);
    expect((await flags.get("f")).value).toBeUndefined();
  });

  it("never reuses an etag after a delete and re-create", async () => {
    const old = await flags.set("f", 1);
    await flags.delete("f");
    const recreated = await flags.set("f", 1);
    expect(recreated).not.toBe(old);
    await expectCode(flags.delete("f", { ifEtag: old }), ErrorCode.Provider);
  });

  it("deletes conditionally and succeeds when the flag is already absent", async () => {
    const etag = await flags.set("f", "x");
    await expectCode(flags.delete("f", { ifEtag: "999" }), ErrorCode.Provider);
    await flags.delete("f", { ifEtag: etag });
    expect(await flags.get("f")).toEqual({ value: undefined });
    await flags.delete("f");
    await flags.delete("never-existed", { ifEtag: "3" });
  });

  it("keeps a flag named __proto__ as an ordinary flag", async () => {
    await flags.set("__proto__", { polluted: true });
    expect((await flags.get("__proto__")).value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await new FileFlagStore(file).get("__proto__")).value).toEqual({ polluted: true });
  });

  it("serialises concurrent conditional writes: exactly one of several with the same etag wins", async () => {
    const etag = await flags.set("f", 0);
    const results = await Promise.allSettled([1, 2, 3, 4].map((v) => flags.set("f", v, { ifEtag: etag })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("reads a hand-written file and rejects a malformed one", async () => {
    const manual = path.join(dir, "manual.json");
    await writeFile(manual, JSON.stringify({ flags: { MaintenanceMode: { value: true } } }));
    const store = new FileFlagStore(manual);
    expect((await store.get("MaintenanceMode")).value).toBe(true);
    const etag = await store.set("Other", 1);
    expect(Number(etag)).toBeGreaterThan(0);
    await writeFile(manual, "{ nope");
    const e = await expectCode(store.get("MaintenanceMode"), ErrorCode.Provider);
    expect(e.message).toContain(manual);
  });

  it("honours an aborted signal before touching anything", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(flags.set("f", 1, { signal: controller.signal })).rejects.toThrow();
    expect((await flags.get("f")).value).toBeUndefined();
  });
});
