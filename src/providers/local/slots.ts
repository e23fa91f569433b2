/**
 * One app process in a slot: start it (own process group, stdio to a log
 * file, so it survives a supervisor crash and can be re-adopted), wait until
 * it is healthy, stop it gracefully (SIGTERM, then SIGKILL after a wait).
 */
import { minimalEnv } from "../../core/child-env.js";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { AppSpec, SlotName } from "../../core/slots.js";
import { ensurePrivateDir, isPidAlive, openPrivateAppend } from "./files.js";

export class SlotStartError extends Error {}

/**
 * Pause between health requests while an app starts. Until it listens each request is a refused loopback
 * connect, so a short pause costs next to nothing, and a deploy returns at most this long after the app
 * became healthy (at 50 ms that was 25 ms of every release's critical path on average).
 */
const HEALTH_POLL_MS = 10;
/**
 * Pause between checks that a stopped process has exited (kill -0, one syscall). The pid may be one this
 * supervisor adopted rather than its own child, so there is no exit event to wait for.
 */
const EXIT_POLL_MS = 5;

export interface RunningApp {
  pid: number;
  port: number;
}

/**
 * Everything the supervisor passes to every app besides the spec's own env. Apps start from
 * src/core/child-env.ts's minimal environment, never cutover's own: they outlive the cutover that
 * started them. See docs/security.md.
 */
export type BaseEnv = (slot: SlotName, port: number) => Record<string, string>;

export async function startApp(
  slot: SlotName,
  spec: AppSpec,
  port: number,
  logDir: string,
  baseEnv: BaseEnv,
  signal?: AbortSignal,
  onSpawn: (pid: number) => Promise<void> = async () => undefined,
): Promise<RunningApp> {
  const logFile = path.join(logDir, `${slot}.log`);
  const { pid, exited } = await spawnDetached(
    `slot ${slot}`,
    spec.command,
    spec.cwd,
    { ...minimalEnv(), ...spec.env, ...baseEnv(slot, port) },
    logDir,
    logFile,
  );
  await onSpawn(pid);

  const deadline = Date.now() + spec.healthTimeoutMs;
  while (true) {
    if (exited.reason)
      throw new SlotStartError(
        `slot ${slot}: ${spec.version} ${exited.reason} before becoming healthy\n${tail(logFile)}`,
      );
    if (await isHealthy(port, spec.healthPath, 1000)) return { pid, port };
    if (signal?.aborted || Date.now() > deadline) {
      await stopApp(pid, 2000);
      const why = signal?.aborted ? "start cancelled" : `not healthy within ${spec.healthTimeoutMs} ms`;
      throw new SlotStartError(
        `slot ${slot}: ${spec.version} ${why} (GET ${spec.healthPath} on port ${port})\n${tail(logFile)}`,
      );
    }
    await sleep(HEALTH_POLL_MS);
  }
}

/**
 * Start `command` in its own process group, its output appended to `logFile`, detached from us: it
 * outlives a supervisor crash. `exited.reason` is set once it exits (while we still watch it).
 */
export async function spawnDetached(
  what: string,
  command: string[],
  cwd: string,
  env: Record<string, string>,
  logDir: string,
  logFile: string,
): Promise<{ pid: number; exited: { reason?: string } }> {
  ensurePrivateDir(logDir, (m) => console.log(`${new Date().toISOString()} supervisor: ${m}`));
  const log = openPrivateAppend(logFile);
  const [cmd, ...args] = command;
  if (!cmd) throw new SlotStartError(`${what}: empty command`);
  const child = spawn(cmd === "node" ? process.execPath : cmd, args, {
    cwd,
    env,
    // Own process group and no pipes to us: the process outlives a supervisor crash.
    detached: true,
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  child.unref();
  const exited: { reason?: string } = {};
  child.once("exit", (code, sig) => {
    exited.reason = `exited with ${sig ?? `code ${code}`}`;
  });
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once("spawn", () => resolve(undefined));
    child.once("error", (e) => resolve(e));
  });
  if (spawnError || !child.pid)
    throw new SlotStartError(`${what}: cannot start ${cmd}: ${spawnError?.message ?? "no pid"}`);
  return { pid: child.pid, exited };
}

/** SIGTERM the app's process group, wait up to `killAfterMs`, then SIGKILL. */
export async function stopApp(pid: number, killAfterMs: number): Promise<"terminated" | "killed" | "absent"> {
  if (!isPidAlive(pid)) return "absent";
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + killAfterMs;
  while (Date.now() < deadline) {
    if (!isPidAlive(pid)) return "terminated";
    await sleep(EXIT_POLL_MS);
  }
  signalGroup(pid, "SIGKILL");
  for (let i = 0; i < 2000 / EXIT_POLL_MS && isPidAlive(pid); i++) await sleep(EXIT_POLL_MS);
  return "killed";
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  }
}

export function isHealthy(port: number, healthPath: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: healthPath, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

/** A free loopback port: `preferred` if nothing listens there, else one the OS picks. */
export async function freePort(preferred?: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const srv = net.createServer();
      srv.once("error", () => resolve(undefined));
      srv.listen(port, "127.0.0.1", () => {
        const got = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(got));
      });
    });
  if (preferred) {
    const p = await tryListen(preferred);
    if (p) return p;
  }
  const p = await tryListen(0);
  if (!p) throw new Error("no free loopback port");
  return p;
}

function tail(file: string): string {
  try {
    const text = fs.readFileSync(file, "utf8");
    return text.split("\n").slice(-15).join("\n");
  } catch {
    return "";
  }
}

/** Listen on `port` (0 = any); a port held a moment longer by a dying predecessor is retried. */
export async function listenRetrying(server: net.Server, port: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (true) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
      return (server.address() as AddressInfo).port;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || Date.now() > deadline) throw e;
      await sleep(200);
    }
  }
}
