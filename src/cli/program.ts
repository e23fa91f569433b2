/** The command tree. Each command is a thin file over the library API in src/api/. */
import { Command, Option } from "commander";
import { CUTOVER_VERSION } from "../api/session.js";
import { cutLongValues } from "../playbook/echo.js";
import { usageErrorLine, wantsJson } from "./usage.js";
import { register as decide } from "./commands/decide.js";
import { register as local } from "./commands/local.js";
import { register as migrate } from "./commands/migrate.js";
import { register as notify } from "./commands/notify.js";
import { register as plan } from "./commands/plan.js";
import { register as report } from "./commands/report.js";
import { register as resume } from "./commands/resume.js";
import { register as run } from "./commands/run.js";
import { register as runs } from "./commands/runs.js";
import { register as schema } from "./commands/schema.js";
import { register as serve } from "./commands/serve.js";
import { register as status } from "./commands/status.js";
import { register as unlock } from "./commands/unlock.js";
import { register as validate } from "./commands/validate.js";

/** The command line being parsed: commander keeps it (untyped) as rawArgs from the start of parse(). */
const argsOf = (program: Command): string[] => (program as unknown as { rawArgs?: string[] }).rawArgs ?? [];

export function buildProgram(): Command {
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
  for (const reg of [
    validate,
    plan,
    run,
    resume,
    decide,
    status,
    report,
    notify,
    runs,
    unlock,
    schema,
    local,
    migrate,
    serve,
  ])
    reg(program);
  return program;
}
