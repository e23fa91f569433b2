/**
 * `cutover local up | down | status`: the local blue/green environment, run
 * by a background supervisor that outlives this command. Thin: the work is in
 * src/providers/local/lifecycle.ts.
 */
import path from "node:path";
import type { Command } from "commander";
import { CutoverError, ErrorCode, ExitCode } from "../../core/errors.js";
import { defaultLocalDir, localProvider, type LocalClient } from "../../providers/local/index.js";
import { loadPlaybook } from "../../playbook/validate.js";
import { registries } from "../../runtime.js";
import { localDown, localStatus, localUp } from "../../providers/local/lifecycle.js";
import type { LocalStatus, SlotStatus } from "../../core/slots.js";
import type { CliIO } from "../io.js";
import { collect, withIO } from "../shared.js";
import { parseParamArgs, resolveParams } from "../../playbook/params.js";
import { resolveValue } from "../../engine/resolve.js";
import { lookupSecret } from "../../runtime.js";

interface DirOption {
  dir?: string;
}

function dirOf(io: CliIO, opts: DirOption): string {
  return path.resolve(opts.dir ?? defaultLocalDir(io.stateDir));
}

export function register(program: Command): void {
  const local = program
    .command("local")
    .description(
      "the local blue/green environment: two app slots, a reverse proxy and a flag store, run in the background",
    );
  const dirHelp = "directory of the environment (default: <state-dir>/local)";

  local
    .command("up")
    .description(
      "start the environment in the background (blue runs the demo app v1 the first time, or the playbook's " +
        "baseline with --playbook); does nothing if it runs",
    )
    .option("--dir <dir>", dirHelp)
    .option(
      "--port <port>",
      "public port of a new environment (default: any free port; an existing one keeps its port)",
    )
    .option(
      "--playbook <file>",
      "take the environment's directory, port and baseline (what blue runs first) from this playbook's local entry",
    )
    .option("--entry <name>", "the playbook's environment entry to start, when it has several local ones")
    .option("-p, --param <name=value>", "a param the entry uses (repeatable), as `run -p` takes it", collect, [])
    .action(
      withIO(async (io, opts: DirOption & { port?: string; playbook?: string; entry?: string; param: string[] }) => {
        const publicPort = opts.port === undefined ? undefined : Number(opts.port);
        if (publicPort !== undefined && !(Number.isInteger(publicPort) && publicPort >= 0 && publicPort <= 65535)) {
          throw new CutoverError(ErrorCode.Usage, `--port must be a port number, got ${opts.port}`);
        }
        const fromPlaybook = opts.playbook
          ? localEntryOf(opts.playbook, io.stateDir, opts.entry, parseParamArgs(opts.param))
          : undefined;
        if (fromPlaybook && opts.dir) {
          throw new CutoverError(ErrorCode.Usage, "give --dir or --playbook, not both (the playbook names the dir)");
        }
        const out = await localUp({
          dir: fromPlaybook?.dir ?? dirOf(io, opts),
          publicPort: publicPort ?? fromPlaybook?.options.publicPort,
          baseline: fromPlaybook?.options.baseline,
        });
        if (io.json) return void io.out(JSON.stringify({ type: "local.up", started: out.started, status: out.status }));
        io.out(out.started ? io.c.green("local environment started") : "local environment already running");
        printStatus(io, out.status);
      }),
    );

  local
    .command("down")
    .description("stop the environment gracefully (apps, proxy, supervisor); its state stays for the next `up`")
    .option("--dir <dir>", dirHelp)
    .action(
      withIO(async (io, opts: DirOption) => {
        const out = await localDown({ dir: dirOf(io, opts) });
        if (io.json) return void io.out(JSON.stringify({ type: "local.down", stopped: out.stopped }));
        io.out(out.stopped ? "local environment stopped" : "local environment was not running");
      }),
    );

  local
    .command("status")
    .description(
      "what serves where: live slot, versions, ports, health, requests in flight, flags (exit 1 when not running)",
    )
    .option("--dir <dir>", dirHelp)
    .action(
      withIO(async (io, opts: DirOption) => {
        const report = await localStatus({ dir: dirOf(io, opts) });
        if (io.json) {
          io.out(JSON.stringify({ type: "local.status", ...report }));
          return report.running ? ExitCode.ok : ExitCode.failed;
        }
        if (!report.running) {
          io.out(
            `local environment in ${report.dir} is not ` +
              `running${report.state ? ` (last live slot: ${report.state.live})` : ""}`,
          );
          io.out("start it with `cutover local up`");
          return ExitCode.failed;
        }
        printStatus(io, report.status);
      }),
    );
}

/** The client a run would build for the playbook's local entry (`entry`, or its only one). */
function localEntryOf(
  file: string,
  stateDir: string,
  entry: string | undefined,
  cliParams: ReturnType<typeof parseParamArgs>,
): LocalClient {
  const loaded = loadPlaybook(path.resolve(file), registries);
  const locals = Object.entries(loaded.playbook.environment).filter(
    ([, e]) => (e as { provider?: string } | undefined)?.provider === localProvider.kind,
  );
  const pick = entry === undefined ? locals : locals.filter(([name]) => name === entry);
  if (pick.length !== 1) {
    const names = locals.map(([n]) => n).join(", ") || "none";
    throw new CutoverError(
      ErrorCode.Usage,
      entry === undefined
        ? `${file} has ${locals.length} local environment entries (${names}): name one with --entry`
        : `${file} has no local environment entry ${entry} (its local entries: ${names})`,
    );
  }
  const [name, raw] = pick[0]!;
  // As a run resolves it: `${{ params.x }}` (from -p, CUTOVER_PARAM_X or the default), `env.X`, `secrets.X`.
  const params = resolveParams(loaded.playbook.params, cliParams, process.env);
  const resolved = resolveValue(raw, {
    params: params.all,
    steps: {},
    env: process.env,
    secrets: (n: string) => lookupSecret(process.env, n),
    run: { id: "" },
  });
  return localProvider.create(localProvider.config.parse(resolved), {
    stateDir,
    baseDir: loaded.baseDir,
    name,
    secret: (n) => process.env[n],
  }) as LocalClient;
}

function printStatus(io: CliIO, s: LocalStatus): void {
  const c = io.c;
  const live = s.slots[s.live];
  io.out(`${c.bold(s.publicUrl)}  serves ${c.bold(live.version ?? "nothing")} from ${c.bold(s.live)}`);
  if (s.canary) {
    const other = s.slots[s.canary.slot];
    io.out(
      `  split      ${s.canary.percent} % to ${c.bold(other.version ?? "nothing")} in ${s.canary.slot}, ` +
        `${100 - s.canary.percent} % to ${s.live} (traffic.shift)`,
    );
  }
  for (const slot of [s.slots.blue, s.slots.green]) io.out(slotLine(io, slot));
  const flags = Object.entries(s.flags).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  io.out(`  flags      ${flags.length ? flags.join(" ") : "(none)"}   rev ${s.flagsRev}`);
  io.out(
    `  supervisor pid ${s.supervisorPid} since ${s.startedAt}, ` +
      `admin ${s.adminUrl}, ${s.requestsServed} requests proxied`,
  );
  io.out(`  dir        ${s.dir}`);
}

function slotLine(io: CliIO, s: SlotStatus): string {
  const c = io.c;
  // Pad the plain text, then colour it, so columns line up with or without colour.
  const colour = { healthy: c.green, unhealthy: c.red, starting: c.yellow, stopped: c.dim }[s.health];
  const name = (s.live ? `${s.slot} (live)` : s.slot).padEnd(13);
  const pid = s.pid ? `pid ${s.pid}` : "";
  return (
    `  ${s.live ? c.bold(name) : name}${(s.version ?? "-").padEnd(8)} ${colour(s.health.padEnd(9))} ` +
    `${(s.port ? s.url : "-").padEnd(22)} ${pid.padEnd(10)} in flight ${s.inFlight} (${s.inFlightWrites} writes)`
  );
}
