/**
 * The engine hands every action its run's fence: `ctx.provider` binds clients that can carry the
 * token (Fenceable) to the run's lease, and `ctx.fence.assertHeld()` asks the store, so an action
 * whose target cannot check a token (ARM) refuses to act once the lease was taken over.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ActionContext, Fenceable } from "../../src/core/action.js";
import { ErrorCode } from "../../src/core/errors.js";
import { runAttempt } from "../../src/engine/attempt.js";
import type { EngineDeps } from "../../src/engine/context.js";
import { Journal } from "../../src/engine/journal.js";
import { Redactor } from "../../src/engine/redact.js";
import { FileRunStore } from "../../src/providers/file/run-store.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-fence-ctx-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

class Target implements Fenceable<Target> {
  constructor(readonly token?: number) {}
  withFence(fence: { environment: string; token: number }): Target {
    return new Target(fence.token);
  }
}

describe("the action context's fence", () => {
  it("binds fenceable clients to the run's token, and assertHeld refuses once the lease is taken over", async () => {
    const store = new FileRunStore({ dir });
    const lease = await store.acquireLease({ environment: "shop", holder: "run", ttlMs: 60_000 });
    const fence = { environment: "shop", token: lease.token };
    // The journal's events are not under test: only the store and the fence it carries.
    const j = { runId: "r1", store, fence, state: {} } as unknown as Journal;
    const deps = {
      journal: j,
      provider: async () => new Target(),
      redactor: new Redactor(),
      baseDir: dir,
      stateDir: dir,
    } as unknown as EngineDeps;
    const ctl = { stopping: () => false, cancelSignal: new AbortController().signal };
    const seen: { client?: Target; ctx?: ActionContext } = {};
    const out = await runAttempt(
      deps,
      ctl,
      { id: "s", attempt: 1, timeoutMessage: "", checkpoint: async () => undefined },
      async (ctx) => {
        seen.ctx = ctx;
        seen.client = await ctx.provider("app", "x" as never);
        await ctx.fence!.assertHeld();
      },
    );
    expect(out.ok).toBe(true);
    expect(seen.client?.token).toBe(lease.token);
    expect(seen.ctx?.fence).toMatchObject({ environment: "shop", token: lease.token });

    await store.forceLease({ environment: "shop", holder: "abort", ttlMs: 60_000 });
    await expect(seen.ctx!.fence!.assertHeld()).rejects.toMatchObject({ code: ErrorCode.LeaseLost });
  });
});
