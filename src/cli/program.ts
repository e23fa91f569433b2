/**
 * The command tree. Each command is a thin file over the library API in src/api/, loaded only when the command
 * line names it: `cutover status` must not pay for loading every action, provider and schema (the on-call's
 * look at a run has a 100 ms budget, bench/engine/RESULTS.md). Help, an unknown command or none at all load
 * every command, so commander can list them and suggest the nearest.
 */
import { Command, Option } from "commander";
import { CUTOVER_VERSION } from "../core/version.js";
import { cutLongValues } from "../playbook/echo.js";
import { usageErrorLine, wantsJson } from "./usage.js";

interface CommandModule {
  register(program: Command): void;
}

/** Every top-level command and the module that registers it (a module may register several). */
export const COMMAND_MODULES: Readonly<Record<string, () => Promise<CommandModule>>> = {
  validate: () => import("./commands/validate.js"),
  plan: () => import("./commands/plan.js"),
  run: () => import("./commands/run.js"),
  resume: () => import("./commands/resume.js"),
  step: () => import("./commands/resume.js"),
  approve: () => import("./commands/decide.js"),
  retry: () => import("./commands/decide.js"),
  skip: () => import("./commands/decide.js"),
  abort: () => import("./commands/decide.js"),
  status: () => import("./commands/status.js"),
  report: () => import("./commands/report.js"),
  notify: () => import("./commands/notify.js"),
  runs: () => import("./commands/runs.js"),
  unlock: () => import("./commands/unlock.js"),
  schema: () => import("./commands/schema.js"),
  local: () => import("./commands/local.js"),
  migrate: () => import("./commands/migrate.js"),
  serve: () => import("./commands/serve.js"),
};

/** Global options that take a value in the next argument (`--state-dir x`, not `--state-dir=x`). */
const VALUE_OPTIONS = new Set(["-o", "--output", "--state-dir", "--junit", "--auth", "--client-id", "--tenant-id"]);

/** The command a command line names (the first argument that is not a global option or its value), if any. */
export function commandNamed(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return args[i + 1];
    if (!a.startsWith("-")) return a;
    if (VALUE_OPTIONS.has(a)) i++;
  }
  return undefined;
}

/** The command line being parsed: commander keeps it (untyped) as rawArgs from the start of parse(). */
const argsOf = (program: Command): string[] => (program as unknown as { rawArgs?: string[] }).rawArgs ?? [];

/**
 * The program with the commands `args` (the arguments after `node cutover`) needs: the one it names, or all of
 * them when it names none that exists (help, a typo, nothing), none for `--version`. Without `args`: every command.
 */
export async function buildProgram(args?: readonly string[]): Promise<Command> {
  const program = baseProgram();
  const named = args === undefined ? undefined : commandNamed(args);
  const versionOnly = named === undefined && args !== undefined && args.some((a) => a === "-V" || a === "--version");
  const loaders = versionOnly
    ? []
    : named !== undefined && Object.hasOwn(COMMAND_MODULES, named)
      ? [COMMAND_MODULES[named]!]
      : [...new Set(Object.values(COMMAND_MODULES))];
  const modules = await Promise.all(loaders.map((load) => load()));
  // Registered in the table's order, so `cutover help` lists them as it always has.
  for (const m of new Set(modules)) m.register(program);
  return program;
}

function baseProgram(): Command {
  const program = new Command("cutover")
    .description("blue/green releases as checkpointed, resumable playbooks")
    .version(CUTOVER_VERSION)
    .addOption(
      new Option("-o, --output <format>", "output format: text, or json (one JSON object per line)")
        .choices(["text", "json"])
        .default("text"),
    )
    .option("-y, --yes", "never prompt (implied when CI=true)")
    .option("-v, --verbose", "show stack traces and debug details")
    .option("--state-dir <dir>", "project-local state directory (default: .cutover, or $CUTOVER_STATE_DIR)")
    .option("--no-color", "no colours (NO_COLOR is honoured too)")
    .option(
      "--junit <file>",
      "write a JUnit XML report of the run's steps to <file> when a command that ran steps ends (docs/ci.md)",
    )
    .addOption(
      new Option(
        "--auth <mode>",
        "Azure identity for providers whose playbook entry sets no auth.mode (sets CUTOVER_AZURE_AUTH)",
      ).choices([
        "default",
        "cli",
        "managed-identity",
        "environment",
        "workload-identity",
        "github-oidc",
        "azure-pipelines",
      ]),
    )
    .option(
      "--client-id <id>",
      "Azure client id for --auth managed-identity or workload-identity (sets CUTOVER_AZURE_CLIENT_ID)",
    )
    .option("--tenant-id <id>", "Azure tenant id (sets CUTOVER_AZURE_TENANT_ID)")
    .hook("preAction", (cmd) => {
      // Providers read these when they build their credential; flags beat the environment.
      const o = cmd.opts<{ auth?: string; clientId?: string; tenantId?: string }>();
      if (o.auth) process.env.CUTOVER_AZURE_AUTH = o.auth;
      if (o.clientId) process.env.CUTOVER_AZURE_CLIENT_ID = o.clientId;
      if (o.tenantId) process.env.CUTOVER_AZURE_TENANT_ID = o.tenantId;
    })
    .showHelpAfterError("(run cutover help for the list of commands)")
    // Under -o json a usage error is one {"type":"error"} line on stdout, and nothing else.
    .configureOutput({
      outputError: (str, write) =>
        wantsJson(argsOf(program)) ? process.stdout.write(usageErrorLine(str)) : write(cutLongValues(str)),
      writeErr: (str) => (wantsJson(argsOf(program)) ? undefined : process.stderr.write(str)),
    })
    .exitOverride();
  program.addHelpText(
    "after",
    `
Exit codes: 0 succeeded, 1 failed or aborted, 2 invalid usage or playbook, 3 paused (approval or decision),
4 environment locked by another run, 10 stopped where --until/--only asked (resumable),
130 interrupted (checkpointed; cutover resume <run-id>).
Start with: cutover validate <playbook>, cutover plan <playbook>, cutover run <playbook>.`,
  );
  return program;
}
