/**
 * `cutover serve`: the web page for on-call (docs/web.md). Runs of each environment, a live run view, and
 * approve / retry / skip / abort buttons behind a token. Decisions run the engine in this process.
 */
import type { Command } from "commander";
import { openStore } from "../../api/inspect.js";
import { CutoverError, ErrorCode, ExitCode } from "../../core/errors.js";
import { currentActor } from "../../runtime.js";
import { assertBindAllowed, isLoopback, newToken, tokenFromEnv } from "../../web/security.js";
import { startServer } from "../../web/server.js";
import { withIO } from "../shared.js";
import { wholeNumber } from "../usage.js";

interface ServeFlags {
  port: number;
  host: string;
  allowRemote?: boolean;
  playbook?: string;
  tokenEnv?: string;
  as?: string;
}

const USER = /^[A-Za-z0-9._@+-]{1,64}$/;

export function register(program: Command): void {
  program
    .command("serve")
    .description("serve a web page of runs with approve / retry / skip / abort buttons behind a token (docs/web.md)")
    .option("--port <n>", "TCP port (0: any free one)", wholeNumber(0, 65_535), 7474)
    .option("--host <address>", "address to bind; only loopback unless --allow-remote", "127.0.0.1")
    .option(
      "--allow-remote",
      "DANGER: allow a non-loopback --host: release controls over plain HTTP to whoever reaches it with the token",
    )
    .option("-f, --playbook <file>", "serve the runs in this playbook's state store (default: the local file store)")
    .option("--token-env <name>", "read the token from this environment variable instead of printing a fresh one")
    .option("--as <user>", "journal decisions as web:<user> (default: the user running cutover serve)")
    .action(
      withIO(async (io, opts: ServeFlags) => {
        assertBindAllowed(opts.host, Boolean(opts.allowRemote));
        const user = opts.as ?? currentActor().user;
        if (!USER.test(user))
          throw new CutoverError(ErrorCode.Usage, `--as ${JSON.stringify(user)}: use letters, digits and . _ @ + -`);
        const token = opts.tokenEnv ? tokenFromEnv(opts.tokenEnv, process.env) : newToken();
        // The runs this process drives start programs that inherit its environment: the token is not theirs.
        if (opts.tokenEnv) delete process.env[opts.tokenEnv];
        const located = await openStore({ stateDir: io.stateDir, playbook: opts.playbook });
        const log = (line: string) => io.err(`serve: ${line}`);
        let server;
        try {
          server = await startServer({
            host: opts.host,
            port: opts.port,
            token,
            allowRemote: Boolean(opts.allowRemote),
            store: located.store,
            stateDir: io.stateDir,
            playbook: opts.playbook,
            env: process.env,
            user,
            log,
          });
        } catch (e) {
          await located.close();
          throw e;
        }
        const where = opts.playbook ? `the state store of ${opts.playbook}` : io.stateDir;
        io.err(`cutover serve: ${server.url} (runs in ${where}; decisions journaled as web:${user})`);
        if (opts.tokenEnv) io.err(`token: the value of $${opts.tokenEnv}`);
        // Printed once, here only: it is not logged, journaled or kept anywhere else.
        else io.err(`token: ${token}\n  open ${server.url}#token=${token} (the page keeps it for this tab only)`);
        if (!isLoopback(opts.host))
          io.err(io.c.yellow(`warning: --allow-remote: serving ${opts.host} over plain HTTP; put TLS in front of it`));
        if (io.json) io.out(JSON.stringify({ type: "serving", url: server.url }));
        const stopped = await untilSignal(async (signal, count) => {
          if (count === 1) log(`${signal}: stopping; runs being driven finish their current step and checkpoint`);
          else log(`${signal}: cancelling the steps being run`);
          return server.decisions.stop(signal, count > 1);
        });
        await server.close();
        await located.close();
        return stopped > 0 ? ExitCode.interrupted : ExitCode.ok;
      }),
    );
}

/** Wait for SIGINT/SIGTERM; `onSignal` runs at each (the second cancels); resolves with its first result. */
function untilSignal(onSignal: (signal: NodeJS.Signals, count: number) => Promise<number>): Promise<number> {
  return new Promise((resolve) => {
    let count = 0;
    const handler = (signal: NodeJS.Signals) => {
      count++;
      const result = onSignal(signal, count);
      if (count === 1)
        void result.then((n) => {
          process.off("SIGINT", handler);
          process.off("SIGTERM", handler);
          resolve(n);
        });
    };
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
  });
}
