/**
 * Real child processes for tests: argv for a Node script, "is this process gone",
 * and a child whose stdout lines are ready-handshakes (`waitFor("locked")`) instead of sleeps.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";

/** argv running a Node script: [node, -e, script]. */
export function nodeScript(script: string, ...args: string[]): string[] {
  return [process.execPath, "-e", script, ...args];
}

/** Poll `check` every 10 ms until it is truthy, failing after `ms` (for state no process announces). */
export async function waitFor<T>(check: () => T | undefined | false, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`condition not met within ${ms} ms`);
}

/** Whether a pid is a live process (a zombie awaiting its reaper counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true;
  }
}

export interface Child {
  proc: ChildProcess;
  /** Resolves with stdout once the process exits 0; rejects with stderr otherwise. */
  done: Promise<string>;
  /** Resolves when stdout has printed the line `line` (or, given a RegExp, a line matching it). */
  waitFor(line: string | RegExp): Promise<void>;
  stdout(): string;
}

/** Run `node script ...args`, its stdin a pipe. */
export function runNode(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const printed = (line: string | RegExp) =>
    stdout.split("\n").some((l) => (typeof line === "string" ? l === line : line.test(l)));
  const waiters: { line: string | RegExp; resolve: () => void }[] = [];
  proc.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString();
    for (const w of waiters.splice(0)) {
      if (printed(w.line)) w.resolve();
      else waiters.push(w);
    }
  });
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<string>((resolve, reject) => {
    proc.on("error", reject);
    proc.on("exit", (code, signal) =>
      code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code ?? signal}: ${stderr}`)),
    );
  });
  done.catch(() => undefined); // callers that kill the child on purpose do not await it
  return {
    proc,
    done,
    stdout: () => stdout + stderr,
    waitFor: (line) =>
      new Promise<void>((resolve, reject) => {
        if (printed(line)) return resolve();
        waiters.push({ line, resolve });
        done.then(
          () => reject(new Error(`child exited before printing ${String(line)}`)),
          (e: unknown) => reject(new Error(`child exited before printing ${String(line)}: ${String(e)}`)),
        );
      }),
  };
}
