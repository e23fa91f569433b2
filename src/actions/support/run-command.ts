/**
 * Run one program from an argv array, without a shell, with bounded output
 * capture and cancellation through an AbortSignal. Shared by `exec` and the
 * command source of `wait.until`.
 *
 * Process group (POSIX): the child is started in its own process group
 * (`detached`), for two reasons. A Ctrl-C in the terminal reaches only
 * cutover, which then lets the current step finish (docs/design.md: first signal
 * finishes the step) instead of the command dying with it. And cancellation
 * can signal the whole group, so a script's own children (`sh -c "sleep 60"`)
 * do not outlive it. On abort: SIGTERM to the group, SIGKILL after
 * `killAfterMs` if the program has not exited, and once it has exited,
 * SIGKILL to whatever is left of its group.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { ActionFailure } from "../../core/action.js";
import { timerDelay } from "../../core/timers.js";
import { abortError } from "./abort.js";
import { TailCapture, OUTPUT_LIMIT } from "./output-capture.js";

/** After the program exits, how long to wait for its output pipes to close (a daemon it started may hold them). */
const CLOSE_GRACE_MS = 1_000;

export interface CommandSpec {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Text written to stdin; stdin is closed right away when absent. */
  input?: string;
  signal: AbortSignal;
  killAfterMs: number;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Called once the program is running, with its pid. */
  onSpawn?: (pid: number) => void;
  /** How `argv` is shown in messages (redacted by the caller). */
  display: string;
  limit?: number;
  /** Redacts lines and the kept output across the capture's cuts (see output-capture.ts). */
  redact?: (text: string) => string;
}

export interface CommandResult {
  pid: number;
  /** Null when the program was ended by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: TailCapture;
  stderr: TailCapture;
}

export function runCommand(spec: CommandSpec): Promise<CommandResult> {
  if (spec.signal.aborted) return Promise.reject(abortError(spec.signal));
  const useGroup = process.platform !== "win32";
  const stdout = new TailCapture(spec.limit ?? OUTPUT_LIMIT, spec.onStdoutLine, spec.redact);
  const stderr = new TailCapture(spec.limit ?? OUTPUT_LIMIT, spec.onStderrLine, spec.redact);

  return new Promise<CommandResult>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(spec.argv[0]!, spec.argv.slice(1), {
        cwd: spec.cwd,
        env: spec.env,
        shell: false,
        detached: useGroup,
        stdio: ["pipe", "pipe", "pipe"],
        windowsHide: true,
      });
    } catch (e) {
      reject(spawnFailure(e, spec.display));
      return;
    }

    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const signalGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        if (useGroup) process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        // ESRCH: already gone.
      }
    };
    const onAbort = () => {
      aborted = true;
      signalGroup("SIGTERM");
      killTimer = setTimeout(() => signalGroup("SIGKILL"), timerDelay(spec.killAfterMs, "the grace before SIGKILL"));
    };

    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      spec.signal.removeEventListener("abort", onAbort);
      if (killTimer) clearTimeout(killTimer);
      stdout.flush();
      stderr.flush();
      outcome();
    };

    child.on("error", (e) => {
      // Spawn failures (ENOENT, EACCES) arrive here with no pid; later errors (a kill that failed) are ignored.
      if (child.pid === undefined) finish(() => reject(spawnFailure(e, spec.display)));
    });

    child.stdout!.setEncoding("utf8").on("data", (s: string) => stdout.push(s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => stderr.push(s));
    // A program that does not read its input closes the pipe: that is not our failure.
    child.stdin!.on("error", () => undefined);
    if (spec.input !== undefined) child.stdin!.end(spec.input);
    else child.stdin!.end();

    if (child.pid !== undefined) {
      spec.onSpawn?.(child.pid);
      spec.signal.addEventListener("abort", onAbort, { once: true });
    }

    let closed = false;
    child.on("close", () => {
      closed = true;
    });
    child.on("exit", (code, sig) => {
      // Leftovers of a cancelled command's group are orphans now: end them.
      if (aborted) signalGroup("SIGKILL");
      const done = () =>
        finish(() => {
          if (aborted) reject(abortError(spec.signal));
          else resolve({ pid: child.pid!, exitCode: code, signal: sig, stdout, stderr });
        });
      if (closed) return done();
      const grace = setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        done();
      }, CLOSE_GRACE_MS);
      child.once("close", () => {
        clearTimeout(grace);
        done();
      });
    });
  });
}

function spawnFailure(e: unknown, display: string): ActionFailure {
  const code = (e as NodeJS.ErrnoException).code;
  const base = `cannot start ${display}: ${code ?? (e as Error).message}`;
  let hint =
    "The command is an argv array run without a shell: check the program name, that it is installed and on PATH.";
  if (code === "ENOENT") hint += ' For shell features (pipes, globs, &&) write ["sh", "-c", "..."].';
  if (code === "EACCES")
    hint = 'The program is not executable: chmod +x it, or run it through its interpreter (["bash", "script.sh"]).';
  return new ActionFailure(base, { retryable: false, hint, cause: e, details: { errno: code } });
}
