/**
 * Drive the built `cutover` binary for end-to-end tests: run it with JSON
 * output, collect its events, and make variants of the demo playbook.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { ROOT } from "./env.js";

export const CLI = path.join(ROOT, "dist", "src", "cli", "main.js");

export interface CliEvent {
  type: string;
  stepId?: string;
  runId?: string;
  at?: string;
  outputs?: Record<string, unknown>;
  outcome?: string;
}

export interface CliRun {
  child: ChildProcess;
  events: CliEvent[];
  /** Resolves with the exit code (null when killed by a signal). */
  done: Promise<number | null>;
  /** Resolves when an event matching `pred` has been printed. */
  waitFor(pred: (e: CliEvent) => boolean): Promise<CliEvent>;
}

export function cutover(stateDir: string, args: string[]): CliRun {
  const child = spawn(process.execPath, [CLI, "--state-dir", stateDir, "--output", "json", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true", NO_COLOR: "1" },
  });
  const events: CliEvent[] = [];
  const watchers: { pred: (e: CliEvent) => boolean; resolve: (e: CliEvent) => void }[] = [];
  let buf = "";
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let e: CliEvent;
      try {
        e = JSON.parse(line) as CliEvent;
      } catch {
        continue;
      }
      events.push(e);
      for (const w of [...watchers]) {
        if (!w.pred(e)) continue;
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  const done = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      if (code !== 0 && code !== null && process.env.CUTOVER_TEST_VERBOSE) process.stderr.write(stderr);
      resolve(code);
    }),
  );
  return {
    child,
    events,
    done,
    waitFor(pred) {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        watchers.push({ pred, resolve });
        void done.then(() => reject(new Error(`cutover exited before the awaited event; stderr: ${stderr.slice(-2000)}`)));
      });
    },
  };
}

/**
 * The demo playbook, copied into `dir` with absolute paths to demo/, and
 * optionally a `gate.approval` step `hold` inserted after step `holdAfter`
 * (so a test can stop the run there and abort it).
 */
export function demoPlaybook(dir: string, opts: { holdAfter?: string; name?: string } = {}): string {
  const text = fs.readFileSync(path.join(ROOT, "playbooks", "local-demo.yaml"), "utf8").replaceAll("../demo/", `${ROOT}/demo/`).replaceAll("../examples/", `${ROOT}/examples/`);
  const doc = parseDocument(text);
  if (opts.holdAfter !== undefined) {
    const steps = doc.get("steps") as { items: { get(k: string): unknown }[] };
    const index = steps.items.findIndex((s) => s.get("id") === opts.holdAfter);
    if (index < 0 && opts.holdAfter !== "") throw new Error(`no step ${opts.holdAfter}`);
    steps.items.splice(index + 1, 0, doc.createNode({ id: "hold", action: "gate.approval", with: { message: "abort me" } }) as never);
  }
  const file = path.join(dir, `${opts.name ?? "local-demo"}.yaml`);
  fs.writeFileSync(file, doc.toString());
  return file;
}
