/**
 * Fencing guards the environment, not only the journal: the local supervisor remembers the highest
 * lease token it has seen per environment and refuses a change carrying a lower one, also after
 * its own restart. A real supervisor process, real apps.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";
import { isFenceable } from "../../src/core/action.js";
import { LocalClient } from "../../src/providers/local/client.js";
import { FileFlagStore } from "../../src/providers/file/flag-store.js";
import { NginxClient } from "../../src/providers/nginx/client.js";
import { demoSpec, localUp } from "../../src/providers/local/lifecycle.js";
import { destroyLocal, ensureBuilt, tempDir } from "../local/env.js";

const dirs: string[] = [];
beforeAll(() => ensureBuilt());
afterAll(async () => {
  for (const d of dirs) await destroyLocal(d);
  for (const d of dirs) fs.rmSync(path.dirname(d), { recursive: true, force: true });
});

describe("fencing of the local supervisor", () => {
  it("refuses the changes of a run whose lease token is older than one it has seen, across its restart", async () => {
    const dir = path.join(tempDir("fence"), "local");
    dirs.push(dir);
    const up = await localUp({ dir });
    const plain = new LocalClient({ dir });
    expect(isFenceable(plain)).toBe(true);
    const stale = plain.withFence({ environment: "shop", token: 7 });
    const current = plain.withFence({ environment: "shop", token: 8 });

    // The stale run deploys v2 to green while it still holds the lease...
    await stale.deploy("green", demoSpec("v2"));
    // ...then loses it: the new holder (abort) acts with a higher token.
    await current.setLive("blue");
    // The old run continues and sends its stop and swap: refused, as LEASE_LOST, nothing changed.
    const stop = stale.stop("blue", { drainTimeoutMs: 100, killAfterMs: 100 });
    await expect(stop).rejects.toMatchObject({ code: ErrorCode.LeaseLost });
    await expect(stop).rejects.toThrow(/stale fencing token 7 for environment shop/);
    await expect(stale.set("MaintenanceMode", true)).rejects.toMatchObject({ code: ErrorCode.LeaseLost });
    let status = await plain.status();
    expect(status.slots.blue).toMatchObject({ running: true, health: "healthy" });
    expect(status.live).toBe("blue");

    // Another environment's tokens are its own; a person's command (no token) is not fenced.
    await plain.withFence({ environment: "other", token: 1 }).setLive("blue");
    await plain.setLive("blue");

    // The supervisor remembers across its own restart.
    process.kill(up.status.supervisorPid!, "SIGKILL");
    await localUp({ dir });
    await expect(stale.setLive("green")).rejects.toMatchObject({ code: ErrorCode.LeaseLost });
    await current.setLive("green");
    status = await plain.status();
    expect(status.live).toBe("green");
  }, 60_000);
});

describe("fencing of the file flag store", () => {
  it("refuses a flag change carrying a lease token lower than one that has written", async () => {
    const dir = tempDir("fence-flags");
    dirs.push(path.join(dir, "x"));
    const store = new FileFlagStore(path.join(dir, "flags.json"));
    expect(isFenceable(store)).toBe(true);
    const stale = store.withFence({ environment: "shop", token: 3 });
    const current = store.withFence({ environment: "shop", token: 4 });
    await stale.set("MaintenanceMode", true);
    await current.set("MaintenanceMode", false); // abort put it back
    await expect(stale.set("MaintenanceMode", true)).rejects.toMatchObject({ code: ErrorCode.LeaseLost });
    await expect(stale.delete("MaintenanceMode")).rejects.toMatchObject({ code: ErrorCode.LeaseLost });
    expect((await store.get("MaintenanceMode")).value).toBe(false);
    // Another environment's tokens are its own.
    await store.withFence({ environment: "other", token: 1 }).set("Other", 1);
  });
});

describe("fencing of nginx include writes", () => {
  it("refuses to rewrite the upstream include with a lease token lower than one that wrote it", async () => {
    const dir = tempDir("fence-nginx");
    dirs.push(path.join(dir, "x"));
    const upstreamFile = path.join(dir, "upstream.conf");
    const nginx = new NginxClient({
      upstreamFile,
      slots: { blue: ["127.0.0.1:9001"], green: ["127.0.0.1:9002"] },
      serverParams: "",
      publicUrl: "http://127.0.0.1:8080",
      test: ["true"],
      reload: ["true"],
    });
    expect(isFenceable(nginx)).toBe(true);
    const stale = nginx.withFence({ environment: "shop", token: 5 });
    const current = nginx.withFence({ environment: "shop", token: 6 });
    await stale.write(stale.render("green"));
    await current.write(current.render("blue")); // abort swapped back
    await expect(stale.write(stale.render("green"))).rejects.toMatchObject({ code: ErrorCode.LeaseLost });
    expect((await nginx.read()).live).toBe("blue");
    // The token lines are bookkeeping: what a swap compares (idempotency) is the rendered content.
    expect((await nginx.read()).text).toBe(nginx.render("blue"));
    expect(fs.readFileSync(upstreamFile, "utf8")).toContain("server 127.0.0.1:9001;");
  });
});
