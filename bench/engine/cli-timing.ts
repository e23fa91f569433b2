/** Shared by the CLI benchmarks of bench/engine: where the built CLI is, and timing of one invocation. */
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..", "..", "..");
export const BIN = path.join(ROOT, "dist/cli/cutover.js");

/** The environment a person's shell would give: no CI, no colour, no state directory from outside. */
function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.CI;
  delete env.CUTOVER_STATE_DIR;
  return env;
}

export interface Timing {
  /** Wall clock from start to exit. */
  wallMs: number;
  /** CPU time (user + system) of the process: what it costs, whatever else the machine is doing. */
  cpuMs: number;
  code: number | null;
}

/**
 * Run `argv` once to completion under bash's `time` (wall and CPU of the child); its output is discarded after
 * the exit code is taken.
 */
function timeProcess(argv: string[], cwd: string): Timing {
  const r = spawnSync(
    "bash",
    ["-c", 'TIMEFORMAT="%R %U %S"; time { "$@" >/dev/null 2>&1; echo "exit $?" >&2; }', "bash", ...argv],
    { cwd, env: cliEnv(), encoding: "utf8" },
  );
  const lines = r.stderr.trim().split("\n");
  const [wall, user, sys] = lines.at(-1)!.split(" ").map(Number);
  const code = Number(/exit (\d+)/.exec(lines.at(-2) ?? "")?.[1] ?? NaN);
  return { wallMs: wall! * 1000, cpuMs: (user! + sys!) * 1000, code: Number.isNaN(code) ? null : code };
}

export const timeCli = (args: string[], cwd: string) => timeProcess([process.execPath, BIN, ...args], cwd);

/** Node itself, started and ended with nothing to do: the floor under every CLI figure. */
export const timeNode = (cwd: string) => timeProcess([process.execPath, "-e", ""], cwd);

/** Start the CLI without waiting (for figures measured to an event before it exits). */
export function startCli(args: string[], cwd: string) {
  return spawn(process.execPath, [BIN, ...args], { cwd, env: cliEnv(), stdio: ["ignore", "pipe", "pipe"] });
}

/** Run the CLI to completion, keeping its output (setup steps, not measured). */
export function runCli(args: string[], cwd: string) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, env: cliEnv(), encoding: "utf8" });
}
