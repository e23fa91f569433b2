/**
 * Entry point of the detached supervisor process:
 *   node dist/src/providers/local/supervisor-main.js <dir>
 * Started by `cutover local up` (lifecycle.ts); logs go to <dir>/supervisor.log.
 */
import { handleAdmin } from "./admin.js";
import { PRIVATE_UMASK } from "./files.js";
import { Supervisor } from "./supervisor.js";

async function main(): Promise<void> {
  // Everything it and the apps create (logs, the demo database,
  // state) is the user's only: 0600 files, 0700 directories.
  process.umask(PRIVATE_UMASK);
  const dir = process.argv[2];
  if (!dir) {
    console.error("usage: supervisor-main.js <dir>");
    process.exit(2);
  }
  const sup = await Supervisor.load(dir);
  const info = await sup.start(handleAdmin);
  console.log(
    `${new Date().toISOString()} supervisor ${info.pid}: public http://127.0.0.1:${info.publicPort}, admin port ` +
      `${info.adminPort}, live ${sup.state.live}`,
  );
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${new Date().toISOString()} supervisor: ${sig}, shutting down`);
    void sup.shutdown().finally(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // A detached daemon has no terminal: SIGHUP must not kill it.
  process.on("SIGHUP", () => undefined);
  // The supervisor carries live traffic: a stray error is logged, not fatal.
  process.on("unhandledRejection", (e) =>
    console.error(`${new Date().toISOString()} supervisor: unhandled rejection: ${String(e)}`),
  );
  process.on("uncaughtException", (e) =>
    console.error(`${new Date().toISOString()} supervisor: uncaught exception: ${e.stack ?? String(e)}`),
  );
}

main().catch((e: unknown) => {
  console.error(`supervisor failed to start: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
