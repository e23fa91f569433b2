/**
 * Command-line usage checks that commander does not do itself: whole-number
 * options, the state directory, and usage errors as one JSON object under
 * `-o json` (a CI job parsing stdout must get the error code, not free text).
 */
import { statSync } from "node:fs";
import { InvalidArgumentError } from "commander";
import { CutoverError, ErrorCode, ExitCode } from "../core/errors.js";
import { fileKind } from "../playbook/input-file.js";
import { cutLongValues } from "../playbook/echo.js";

/** An option parser for a whole number from `min` to `max` (`abc`, `-1`, `1e999` and `2.5` are usage errors). */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(`give a whole number from ${min} to ${max}`);
    return n;
  };
}

/** Whether the command line asks for JSON output (read from argv: commander may fail before it parses options). */
export function wantsJson(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") break;
    if ((a === "-o" || a === "--output") && argv[i + 1] === "json") return true;
    if (a === "--output=json" || a === "-ojson") return true;
  }
  return false;
}

/** commander's error text ("error: unknown option '--x'\n") as the `{"type":"error"}` line printError writes. */
export function usageErrorLine(text: string): string {
  const message = cutLongValues(text.trim().replace(/^error: /, ""));
  return JSON.stringify({ type: "error", exitCode: ExitCode.invalid, code: ErrorCode.Usage, message }) + "\n";
}

/**
 * The state directory must be a directory or not exist yet (it is created on
 * first use). Returns a warning when it is writable by others: anyone who can
 * write there can rewrite the journal, the lease and the local environment.
 */
export function checkStateDir(dir: string): string | undefined {
  let mode: number;
  try {
    const st = statSync(dir);
    if (!st.isDirectory())
      throw new CutoverError(
        ErrorCode.Usage,
        `the state directory ${dir} is ${st.isFile() ? "a file" : fileKind(st)}, not a directory`,
        { hint: stateDirHint },
      );
    mode = st.mode & 0o777;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ENOTDIR")
      throw new CutoverError(ErrorCode.Usage, `the state directory ${dir} is inside a file, not a directory`, {
        hint: stateDirHint,
      });
    if (code === "EACCES")
      throw new CutoverError(ErrorCode.Usage, `the state directory ${dir} cannot be read (permission denied)`, {
        hint: stateDirHint,
      });
    throw e;
  }
  if (mode & 0o022) {
    return (
      `the state directory ${dir} is writable by other users (mode ${mode.toString(8).padStart(4, "0")}); anyone ` +
      `who can write there can alter runs: chmod 700 ${dir}`
    );
  }
  return undefined;
}

const stateDirHint = "give --state-dir (or CUTOVER_STATE_DIR) a directory, or a path where one can be created";
