/**
 * Running PostgreSQL's own client programs (pg_dump, pg_restore, psql) for
 * backups and clones: their formats and consistency rules are PostgreSQL's,
 * so cutover does not re-implement them. Each child gets the minimal
 * environment plus the connection in libpq's variables; the password goes in
 * PGPASSWORD, never on the command line (where `ps` shows it), and nothing
 * else of cutover's environment (docs/security.md).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { minimalEnv } from "../../core/child-env.js";
import { CutoverError, ErrorCode } from "../../core/errors.js";

/** The connection URL without its password (for `--dbname`), and the password apart. */
function splitPassword(url: string): { dbname: string; password?: string } {
  const u = new URL(url);
  let password = u.password ? decodeURIComponent(u.password) : undefined;
  u.password = "";
  const fromQuery = u.searchParams.get("password");
  if (fromQuery !== null) {
    password = fromQuery;
    u.searchParams.delete("password");
  }
  return { dbname: u.toString(), password };
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export function pgToolEnv(url: string): { env: Record<string, string>; dbname: string } {
  const { dbname, password } = splitPassword(url);
  const env: Record<string, string> = { ...minimalEnv(), PGAPPNAME: "cutover", PGCONNECT_TIMEOUT: "10" };
  if (password !== undefined) env.PGPASSWORD = password;
  return { env, dbname };
}

export interface ToolRun {
  child: ChildProcess;
  done: Promise<void>;
}

/**
 * Start `program` with `args`; `done` rejects with the program's last lines of stderr when it fails.
 * Killed (SIGTERM) when `signal` aborts: psql's transaction then rolls back.
 */
export function startTool(
  program: string,
  args: string[],
  env: Record<string, string>,
  signal: AbortSignal,
  stdio: { stdin?: "pipe" | "ignore"; stdout?: "pipe" | "ignore" } = {},
): ToolRun {
  const child = spawn(program, args, {
    env,
    stdio: [stdio.stdin ?? "ignore", stdio.stdout ?? "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const onAbort = () => child.kill("SIGTERM");
  signal.addEventListener("abort", onAbort, { once: true });
  const done = new Promise<void>((resolve, reject) => {
    child.once("error", (e: NodeJS.ErrnoException) => {
      signal.removeEventListener("abort", onAbort);
      reject(
        e.code === "ENOENT"
          ? new CutoverError(ErrorCode.Config, `${program} not found: PostgreSQL's client programs are needed`, {
              hint: "install them (Debian: apt-get install postgresql-client) at a version >= the server's",
            })
          : e,
      );
    });
    child.once("close", (code, sig) => {
      signal.removeEventListener("abort", onAbort);
      if (code === 0) return resolve();
      const why = stderr.trim().split("\n").slice(-3).join(" | ") || `exit ${code ?? sig}`;
      reject(new CutoverError(ErrorCode.StepFailed, `${program} failed: ${why}`, { retryable: !signal.aborted }));
    });
  });
  return { child, done };
}
