/**
 * The one place errors become output and exit codes. No stack trace unless
 * --verbose; JSON mode prints one `{"type":"error",...}` line on stdout.
 */
import { exitCodeFor, isCutoverError, PlaybookInvalidError, type ExitCode } from "../core/errors.js";
import { cutLongValues } from "../playbook/echo.js";
import type { CliIO } from "./io.js";
import { dialectFor } from "./render/ci-dialect.js";

export function printError(io: CliIO, e: unknown): ExitCode {
  const code = exitCodeFor(e);
  if (io.json) {
    const base = isCutoverError(e)
      ? {
          code: e.code,
          message: cutLongValues(e.message),
          hint: e.hint,
          problems:
            e instanceof PlaybookInvalidError
              ? e.problems.map((p) => ({ ...p, message: cutLongValues(p.message) }))
              : undefined,
        }
      : { code: "INTERNAL", message: cutLongValues(e instanceof Error ? e.message : String(e)) };
    io.out(JSON.stringify({ type: "error", exitCode: code, ...base }));
  } else {
    const label = isCutoverError(e) ? e.code : "INTERNAL";
    // A value echoed in a message (a 100 KB param) is cut, not printed whole.
    const message = cutLongValues(e instanceof Error ? e.message : String(e));
    io.err(`${io.c.red("error")} ${io.c.dim(`[${label}]`)} ${message}`);
    if (isCutoverError(e) && e.hint) io.err(`${io.c.dim("hint:")} ${e.hint}`);
    if (!isCutoverError(e) && !io.verbose)
      io.err(io.c.dim("this looks like a bug in cutover; run again with --verbose for the stack trace and report it"));
    ciAnnotations(io, e, label, message);
  }
  if (io.verbose && e instanceof Error && e.stack) io.err(e.stack);
  return code;
}

const MAX_ANNOTATIONS = 9;

/** On GitHub Actions / Azure Pipelines (text mode), each problem also as an error annotation at its file:line:col. */
function ciAnnotations(io: CliIO, e: unknown, label: string, message: string): void {
  const dialect = io.tty ? undefined : dialectFor(io, process.env);
  if (!dialect) return;
  if (e instanceof PlaybookInvalidError) {
    // GitHub shows 10 error annotations per step; the log above lists every problem.
    for (const p of e.problems.slice(0, MAX_ANNOTATIONS))
      io.out(
        dialect.error(`${p.path ? p.path + ": " : ""}${cutLongValues(p.message)}`, {
          at: { file: p.file, line: p.line, column: p.column },
          title: "invalid playbook",
          code: label,
        }),
      );
    const more = e.problems.length - MAX_ANNOTATIONS;
    if (more > 0)
      io.out(dialect.error(`${more} more problems: see the log`, { title: "invalid playbook", code: label }));
  } else io.out(dialect.error(message, { title: `cutover [${label}]`, code: label }));
}
