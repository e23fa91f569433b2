/**
 * Environment and working directory of commands run by `exec` and
 * `wait.until`, resolved the same way for both.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { ActionFailure } from "../../core/action.js";

/**
 * Variables kept when `inheritEnv: false`: just enough to find programs and
 * behave (PATH for lookup, Windows' SystemRoot without which little runs).
 */
const MINIMAL_ENV = ["PATH", "SystemRoot", "SYSTEMROOT"];

/** Where cutover reads secrets and secret params from: never handed down to a child unasked. */
const SECRET_VARIABLE = /^CUTOVER_(SECRET|PARAM)_/i;

/**
 * The environment of a command. Inherited variables never include cutover's
 * secret variables (`CUTOVER_SECRET_*`, `CUTOVER_PARAM_*`) nor any variable
 * whose value holds a secret the run knows (`redact` changes it): a step
 * that wants a child to see a secret passes it in `env:` explicitly.
 */
export function commandEnv(
  overrides: Record<string, string | number | boolean> | undefined,
  inherit: boolean,
  redact: (text: string) => string = (t) => t,
): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || !(inherit || MINIMAL_ENV.includes(k))) continue;
    // PATH and SystemRoot are kept even when a (short) secret happens to occur in them: nothing runs without them.
    if (SECRET_VARIABLE.test(k) || (redact(v) !== v && !MINIMAL_ENV.includes(k))) continue;
    base[k] = v;
  }
  for (const [k, v] of Object.entries(overrides ?? {})) base[k] = String(v);
  return base;
}

/**
 * Resolve `cwd` against the playbook's directory and check it
 * is a directory (spawn's own error would blame the program).
 */
export async function commandCwd(baseDir: string, cwd: string | undefined): Promise<string> {
  const dir = path.resolve(baseDir, cwd ?? ".");
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new ActionFailure(`working directory ${dir} does not exist or is not a directory`, {
      retryable: false,
      hint: "`cwd` is relative to the playbook's directory.",
    });
  }
  return dir;
}

/** How an argv shows in logs and messages: JSON-quoted words, secrets redacted. */
export function displayArgv(argv: string[], redact: (text: string) => string): string {
  return argv.map((a) => (/^[\w./:=@%+,-]+$/.test(a) ? redact(a) : redact(JSON.stringify(a)))).join(" ");
}
