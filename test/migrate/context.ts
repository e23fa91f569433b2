/** A hand-made ActionContext for calling migrate.* actions directly (until the runner drives them). */
import os from "node:os";
import type { Json } from "../../src/core/json.js";
import type { ActionContext } from "../../src/core/action.js";
import type { SqlClient } from "../../src/providers/sql/driver.js";
import { testLog, type TestLog } from "./helpers.js";

export interface TestContext extends ActionContext {
  log: TestLog;
  checkpoints: Json[];
}

export function makeContext(client: SqlClient, o: { runId?: string; baseDir?: string; dryRun?: boolean; signal?: AbortSignal; priorCheckpoint?: Json } = {}): TestContext {
  const checkpoints: Json[] = [];
  return {
    runId: o.runId ?? "run-" + Math.random().toString(36).slice(2, 8),
    stepId: "migrate",
    attempt: 1,
    signal: o.signal ?? new AbortController().signal,
    log: testLog(),
    stateDir: os.tmpdir(),
    baseDir: o.baseDir ?? os.tmpdir(),
    async provider<T>(target: string, capability: string): Promise<T> {
      if (target !== "db" || capability !== "sql") throw new Error(`no provider ${target}/${capability}`);
      return client as T;
    },
    async checkpoint(data) {
      checkpoints.push(data);
    },
    ...(o.priorCheckpoint !== undefined ? { priorCheckpoint: o.priorCheckpoint } : {}),
    redact: (t) => t,
    dryRun: o.dryRun ?? false,
    checkpoints,
  };
}
