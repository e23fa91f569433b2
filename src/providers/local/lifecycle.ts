/**
 * `cutover local up | down | status` as library functions: start the
 * supervisor as a detached background process (it outlives the CLI), stop it,
 * or report on it.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { packageRoot } from "../../core/version.js";
import { adminCall } from "./admin-client.js";
import { ensurePrivateDir, isPidAlive, localPaths, openPrivateAppend, readJsonFile, writeFileAtomic } from "./files.js";
import { minimalEnv } from "../../core/child-env.js";
import { stopApp } from "./slots.js";
import type { Bootstrap, SupervisorInfo } from "./supervisor.js";
import type { AppSpec, LocalStatus } from "../../core/slots.js";
import type { LocalState } from "./types.js";

export interface LocalUpOptions {
  dir: string;
  /** Public port for a new environment (0 = any free port). An existing environment keeps its port. */
  publicPort?: number;
  /** What blue runs in a new environment; default: the demo app v1. */
  baseline?: AppSpec;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The compiled supervisor entry. Always tsc's output under dist/src, wherever this module runs from: vitest runs
 * it from src/, and the bundled CLI from dist/cli/ (tools/bundle-cli.mjs), neither of which holds the file.
 */
function supervisorEntry(): string {
  return path.join(packageRoot(), "dist", "src", "providers", "local", "supervisor-main.js");
}

/** The demo app of this repository at `version` (v1 or v2). */
export function demoSpec(version = "v1"): AppSpec {
  const root = packageRoot();
  return {
    version,
    command: ["node", path.join(root, "demo", version, "server.js")],
    cwd: root,
    env: {},
    healthPath: "/health",
    healthTimeoutMs: 15_000,
  };
}

/** Start the environment unless it runs already. Idempotent. */
export async function localUp(opts: LocalUpOptions): Promise<{ started: boolean; status: LocalStatus }> {
  const dir = path.resolve(opts.dir);
  const paths = localPaths(dir);
  ensurePrivateDir(dir);
  const running = await runningStatus(dir);
  if (running) return { started: false, status: running };

  const release = await takeStartLock(dir);
  try {
    const again = await runningStatus(dir);
    if (again) return { started: false, status: again };
    await refuseIfHung(dir);
    if (!fs.existsSync(paths.state)) {
      const boot: Bootstrap = { baseline: opts.baseline ?? demoSpec("v1"), publicPort: opts.publicPort };
      await writeFileAtomic(path.join(dir, "bootstrap.json"), JSON.stringify(boot, null, 2) + "\n");
    }
    const entry = supervisorEntry();
    if (!fs.existsSync(entry)) {
      throw new CutoverError(ErrorCode.Config, `the local supervisor is not built (${entry} is missing)`, {
        hint: "run `npm run build`",
      });
    }
    const log = openPrivateAppend(paths.supervisorLog);
    // A minimal environment, not cutover's own: the supervisor outlives this process (see minimalEnv).
    const child = spawn(process.execPath, [entry, dir], {
      detached: true,
      stdio: ["ignore", log, log],
      cwd: dir,
      env: minimalEnv(),
    });
    fs.closeSync(log);
    child.unref();
    const pid = child.pid;
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      opts.signal?.throwIfAborted();
      const status = await runningStatus(dir);
      if (status && status.supervisorPid === pid) return { started: true, status };
      if (!isPidAlive(pid)) break;
      await sleep(100);
    }
    const why = tail(paths.supervisorLog)
      .split("\n")
      .filter((l) => l.trim())
      .slice(-3)
      .join(" | ");
    throw new CutoverError(ErrorCode.Provider, `the local supervisor did not come up${why ? `: ${why}` : ""}`, {
      hint: `see ${paths.supervisorLog}`,
      retryable: true,
    });
  } finally {
    release();
  }
}

/** Stop the supervisor and both apps gracefully. State stays for the next `up`. */
export async function localDown(opts: { dir: string; timeoutMs?: number }): Promise<{ stopped: boolean }> {
  const dir = path.resolve(opts.dir);
  const info = await readJsonFile<SupervisorInfo>(localPaths(dir).supervisorInfo);
  // Check it is our supervisor: never signal an unrelated process that reused the pid.
  if (!info || !isSupervisorProcess(info.pid)) return { stopped: await stopOrphanedApps(dir) };
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  try {
    // Bounded: a supervisor that accepts the connection but never answers (stopped, hung) must not hold us forever.
    await adminCall(dir, "POST", "/v1/shutdown", {}, { timeoutMs: Math.min(5000, timeoutMs) });
  } catch {
    if (isPidAlive(info.pid)) process.kill(info.pid, "SIGTERM");
  }
  while (isPidAlive(info.pid)) {
    if (Date.now() > deadline) {
      process.kill(info.pid, "SIGKILL");
      break;
    }
    await sleep(50);
  }
  // A supervisor killed before it finished stopping them leaves its apps and workers running (they have their own
  // process groups, to outlive a supervisor crash): stop those that still carry this environment's marks.
  await stopOrphanedApps(dir);
  return { stopped: true };
}

/**
 * Apps left running by a supervisor that was killed: stop them too, but only
 * processes that carry this environment's marks (a reused pid is left alone).
 */
async function stopOrphanedApps(dir: string): Promise<boolean> {
  const state = await readJsonFile<LocalState>(localPaths(dir).state).catch(() => undefined);
  let stopped = false;
  for (const slot of Object.values(state?.slots ?? {})) {
    const workers = [...Object.values(slot.workers ?? {}), ...Object.values(slot.startingWorkers ?? {})];
    for (const pid of [slot.pid, slot.startingPid, ...workers]) {
      if (pid && isAppOf(pid, dir)) {
        await stopApp(pid, 5000);
        stopped = true;
      }
    }
  }
  return stopped;
}

function isAppOf(pid: number, dir: string): boolean {
  if (!isPidAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`CUTOVER_LOCAL_DIR=${dir}`);
  } catch {
    return false; // Cannot tell: leave it.
  }
}

export type LocalReport = { running: true; status: LocalStatus } | { running: false; dir: string; state?: LocalState };

export async function localStatus(opts: { dir: string }): Promise<LocalReport> {
  const dir = path.resolve(opts.dir);
  const status = await runningStatus(dir);
  if (status) return { running: true, status };
  return { running: false, dir, state: await readJsonFile<LocalState>(localPaths(dir).state) };
}

/** The live status if a supervisor runs for `dir` and answers, else undefined. */
async function runningStatus(dir: string): Promise<LocalStatus | undefined> {
  const info = await readJsonFile<SupervisorInfo>(localPaths(dir).supervisorInfo).catch(() => undefined);
  if (!info || !isPidAlive(info.pid)) return undefined;
  try {
    return await adminCall<LocalStatus>(dir, "GET", "/v1/status", undefined, { timeoutMs: 2000 });
  } catch {
    return undefined;
  }
}

/**
 * A supervisor process that exists but does not answer (stopped in a debugger,
 * overloaded) must not get a twin fighting it for the ports and the apps.
 */
async function refuseIfHung(dir: string): Promise<void> {
  const info = await readJsonFile<SupervisorInfo>(localPaths(dir).supervisorInfo).catch(() => undefined);
  if (!info || !isSupervisorProcess(info.pid)) return;
  for (let i = 0; i < 3; i++) {
    await sleep(300);
    if (await runningStatus(dir)) return;
    if (!isSupervisorProcess(info.pid)) return;
  }
  throw new CutoverError(
    ErrorCode.Provider,
    `the local supervisor (pid ${info.pid}) runs but does not answer on its admin port ${info.adminPort}`,
    {
      hint:
        `see ${localPaths(dir).supervisorLog}; stop it with ` +
        `\`kill ${info.pid}\` and run \`cutover local up\` again`,
      retryable: true,
    },
  );
}

/** The pid is alive and is a local supervisor (not an unrelated process that reused the pid). */
function isSupervisorProcess(pid: number): boolean {
  if (!isPidAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("supervisor-main");
  } catch {
    return true; // No /proc: trust the pid.
  }
}

/** One starter at a time per directory (two `up`s must not start two supervisors). */
async function takeStartLock(dir: string): Promise<() => void> {
  const lock = path.join(dir, "up.lock");
  for (let i = 0; i < 600; i++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: "wx", mode: 0o600 });
      return () => fs.rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = Number(fs.readFileSync(lock, "utf8") || 0);
      if (!isPidAlive(holder)) fs.rmSync(lock, { force: true });
      else await sleep(100);
    }
  }
  throw new CutoverError(ErrorCode.Provider, `another process is starting the local environment in ${dir}`, {
    retryable: true,
  });
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-10).join("\n");
  } catch {
    return "";
  }
}
