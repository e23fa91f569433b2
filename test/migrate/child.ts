/**
 * Real child processes running the migration engine, for the crash tests
 * (SIGKILL, SIGSTOP). Node 20 cannot run TypeScript and dist/ may be stale,
 * so the engine's sources are transpiled once into a temp directory whose
 * `node_modules` links to the repository's (for `pg` and better-sqlite3).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { transpileClosure } from "../support/transpile.js";

/**
 * The child's entry: reads a JSON job from argv, runs it, prints `started` / `done <json>` / `error <code> <message>`.
 */
const CHILD_MAIN =
  `
import { createPgClient } from "./src/providers/sql/pg-driver.js";
import { createSqliteClient } from "./src/providers/sql/sqlite-driver.js";
import { runMigrations } from "./src/providers/sql/apply.js";
import { runBackfill } from "./src/providers/sql/backfill.js";
import { loadScriptFolder } from "./src/providers/sql/scripts.js";
const job = JSON.parse(process.argv[2]);
const settings = { lockTimeoutMs: 2000, statementTimeoutMs: 60000 };
const client = job.dialect === "postgres"
  ? createPgClient({ connectionString: job.location, schema: job.scope, settings })
  : createSqliteClient({ path: job.location, tablePrefix: job.scope + "_", settings });
const log = { info: (m) => console.log("info " + m), warn: (m) => console.log("warn " + m), progress: (m) => ` +
  `console.log("progress " + m) };
try {
  let out;
  if (job.kind === "migrate") {
    out = await runMigrations(client, { folder: loadScriptFolder(job.dir), phase: job.phase, runId: job.runId, ` +
  `leaseTtlMs: job.leaseTtlMs, leaseWaitMs: job.leaseWaitMs, log });
  } else {
    out = await runBackfill(client, { ...job.backfill, runId: job.runId, leaseTtlMs: job.leaseTtlMs, log });
  }
  console.log("done " + JSON.stringify(out));
} catch (e) {
  console.log("error " + (e.code ?? "?") + " " + e.message);
  process.exitCode = 1;
}
`;

export interface EngineChild {
  proc: ChildProcess;
  stdout(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** Resolves once stdout contains `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
}

export class ChildEngine {
  private readonly dir: string;
  private readonly children: ChildProcess[] = [];

  constructor() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), "cutover-migrate-child-"));
    transpileClosure(
      [
        "src/providers/sql/apply.ts",
        "src/providers/sql/backfill.ts",
        "src/providers/sql/pg-driver.ts",
        "src/providers/sql/sqlite-driver.ts",
      ],
      this.dir,
    );
    writeFileSync(path.join(this.dir, "main.js"), CHILD_MAIN);
  }

  spawn(job: Record<string, unknown>): EngineChild {
    const proc = spawn(process.execPath, [path.join(this.dir, "main.js"), JSON.stringify(job)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.children.push(proc);
    let out = "";
    let err = "";
    proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    proc.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | string>((resolve) =>
      proc.on("exit", (code, signal) => resolve(code ?? signal ?? -1)),
    );
    return {
      proc,
      stdout: () => out + err,
      exited,
      waitFor: async (text, timeoutMs = 20_000) => {
        const until = Date.now() + timeoutMs;
        while (!out.includes(text)) {
          if (Date.now() > until || proc.exitCode !== null)
            throw new Error(`child never printed ${JSON.stringify(text)}:\n${out}${err}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
    };
  }

  /** Kill any child still running and remove the transpiled tree. */
  cleanup(): void {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) {
        try {
          c.kill("SIGCONT");
          c.kill("SIGKILL");
        } catch {
          /* already gone */
        }
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
