/**
 * The one way tests run the BUILT cutover CLI (dist/), as users and CI do:
 * `runCli` blocks until it exits (spawnSync: only when no fake server lives in this process),
 * `startCli` streams it, parses its `-o json` lines into events, and offers ready-handshakes
 * (`waitFor` an event, `waitForOutput` a text) instead of sleeps.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
export const BIN = path.join(ROOT, "dist/cli/cutover.js");
const PROGRAM = path.join(ROOT, "dist/src/cli/program.js");

export interface CliOptions {
  /** Working directory (default: this process's). */
  cwd?: string;
  /** Added to the environment: process.env, NO_COLOR=1, CI=true, CUTOVER_STATE_DIR unset. */
  env?: NodeJS.ProcessEnv;
  /** Passed as `--state-dir`. */
  stateDir?: string;
  /** Pass `--output json`. */
  json?: boolean;
}

export interface CliResult {
  /** The exit code; null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** One `-o json` line: a journal event, a `step.log` line, a `status`/`run`/`result` object. */
export interface CliEvent extends Record<string, unknown> {
  type: string;
  stepId?: string;
  runId?: string;
  at?: string;
  outputs?: Record<string, unknown>;
  outcome?: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** The JSON lines printed so far, parsed. */
  events: CliEvent[];
  done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first event matching `pred` (rejects if the process exits first). */
  waitFor(pred: (e: CliEvent) => boolean): Promise<CliEvent>;
  /** Resolves once stdout or stderr contains `text` (rejects if the process exits first). */
  waitForOutput(text: string | RegExp): Promise<void>;
}

function argv(args: string[], o: CliOptions): string[] {
  return [
    BIN,
    ...(o.stateDir !== undefined ? ["--state-dir", o.stateDir] : []),
    ...(o.json ? ["--output", "json"] : []),
    ...args,
  ];
}

function environment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: "1", CI: "true", CUTOVER_STATE_DIR: undefined, ...extra };
}

/** Run the CLI to completion (blocks this process: no in-process server can answer it meanwhile). */
export function runCli(args: string[], o: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, argv(args, o), {
    cwd: o.cwd,
    env: environment(o.env),
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Start the CLI; stdin is closed, stdout and stderr are collected. */
export function startCli(args: string[], o: CliOptions = {}): CliProcess {
  const child = spawn(process.execPath, argv(args, o), {
    cwd: o.cwd,
    env: environment(o.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const events: CliEvent[] = [];
  const watchers = new Set<() => void>();
  let out = "";
  let err = "";
  let partial = "";
  const notify = () => watchers.forEach((w) => w());
  child.stderr!.on("data", (d: Buffer) => ((err += d.toString()), notify()));
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    partial += d.toString();
    const lines = partial.split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      try {
        if (line.startsWith("{")) events.push(JSON.parse(line) as CliEvent);
      } catch {
        // Not an event: a text line that happens to start with "{".
      }
    }
    notify();
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on("error", (e) =>
      resolve({ code: null, signal: null, stdout: out, stderr: `${err}spawn failed: ${e.message}` }),
    );
    child.on("close", (code, signal) => {
      if (code !== 0 && code !== null && process.env.CUTOVER_TEST_VERBOSE) process.stderr.write(err);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  const until = <T>(found: () => T | undefined, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = found();
        if (value === undefined) return;
        watchers.delete(check);
        resolve(value);
      };
      watchers.add(check);
      check();
      void done.then(() => {
        if (!watchers.delete(check)) return;
        reject(new Error(`cutover exited before ${what}; stderr: ${err.slice(-2000)}`));
      });
    });
  return {
    child,
    events,
    done,
    stdout: () => out,
    stderr: () => err,
    waitFor: (pred) => until(() => events.find(pred), "the awaited event"),
    waitForOutput: (text) =>
      until(
        () => ((typeof text === "string" ? (out + err).includes(text) : text.test(out + err)) ? true : undefined),
        `printing ${String(text)}`,
      ).then(() => undefined),
  };
}

/** The JSON objects among `out`'s lines. */
export function jsonLines(out: string): Record<string, unknown>[] {
  return out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A temp directory holding `files` (name → text). */
export function tmpProject(files: Record<string, string> = {}): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-cli-"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The suites exercise dist/: refuse to test a missing or stale build rather than report confusing failures. */
export function requireBuilt(): void {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first`);
  const built = fs.statSync(path.join(ROOT, "dist/src/playbook/validate.js")).mtimeMs;
  for (const dir of ["src/playbook", "src/cli"]) {
    for (const f of fs.readdirSync(path.join(ROOT, dir))) {
      if (f.endsWith(".ts") && fs.statSync(path.join(ROOT, dir, f)).mtimeMs > built + 1000) {
        throw new Error(`dist/ is older than ${dir}/${f}: run \`npm run build\` first`);
      }
    }
  }
}

/**
 * Many command lines in ONE process through in-process-cli.mjs (the built command tree, each job with
 * its own cwd), each result as if spawned.
 */
export function runInOneProcess(jobs: { cwd: string; args: string[] }[]): Promise<CliResult[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [path.join(import.meta.dirname, "in-process-cli.mjs"), PROGRAM],
      { env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 64 * 1024 * 1024 },
      (e, stdout, stderr) => {
        if (e) reject(new Error(`in-process-cli failed: ${e.message}\n${stderr}`));
        else resolve((JSON.parse(stdout) as Omit<CliResult, "signal">[]).map((r) => ({ ...r, signal: null })));
      },
    );
    child.stdin!.end(JSON.stringify(jobs));
  });
}

/** Map with at most `limit` promises in flight (the machine has 2 cores), results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
