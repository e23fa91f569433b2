/**
 * `exec`: run a program from an argv array, without a shell.
 *
 * Not idempotent: cutover cannot know what an arbitrary command does, so a
 * run interrupted while it was running follows the step's `resume:` policy.
 * Nothing to undo by itself; a playbook gives an explicit `undo:` step.
 */
import { z } from "zod";
import type { Json } from "../core/json.js";
import { parseDuration } from "../playbook/duration.js";
import { ActionFailure, defineAction } from "../core/action.js";
import { argvField, asText, durationField, envField } from "./support/schemas.js";
import { commandCwd, commandEnv, displayArgv } from "./support/command-env.js";
import { runCommand } from "./support/run-command.js";
import { clip, redactJson, tryParseJson } from "./support/json.js";
import { identify, stillRunning } from "./support/process-identity.js";

/** The checkpoint: which process this attempt started (see support/process-identity.ts). */
const Started = z.object({ pid: z.number().int(), startTime: z.string().optional() });

/** How many of the last stderr lines a failure message quotes. */
const FAILURE_LINES = 10;

const ExecWith = z
  .object({
    command: argvField(
      'The program and its arguments, e.g. ["./deploy.sh", "--slot", "green"]. Run without a shell; a relative ' +
        "program path is relative to `cwd`.",
    ),
    env: envField.optional(),
    inheritEnv: z
      .boolean()
      .default(true)
      .describe(
        "Start from cutover's own environment without its secrets (true) or from PATH alone (false); " +
          "`env` is applied on top either way.",
      ),
    cwd: z.string().optional().describe("Working directory, relative to the playbook's directory (the default)."),
    input: z.string().optional().describe("Text written to the command's stdin (stdin is closed empty otherwise)."),
    successCodes: z.array(z.number().int()).min(1).default([0]).describe("Exit codes that count as success."),
    killAfter: durationField(
      "On cancellation or step timeout the command's process group gets SIGTERM, then SIGKILL after this grace period.",
    ).default("10s"),
    parseJson: z
      .boolean()
      .default(false)
      .describe(
        "Read outputs from the last non-empty stdout line, which must be a JSON object: each of its keys becomes " +
          "a step output.",
      ),
  })
  .strict();

export const exec = defineAction({
  kind: "exec",
  summary: "Run a program (argv array, no shell); capture and redact its output.",
  description:
    "Runs `command` with `env`, `cwd` and optional stdin `input`. Each output line is logged live, redacted. " +
    "Succeeds when the exit code is in `successCodes`; otherwise fails with the exit code and the last lines of " +
    "stderr. Not idempotent: after a crash mid-step the step's `resume:` policy decides (rerun, pause, skip, fail).",
  with: ExecWith,
  idempotent: false,
  undo: "none",
  describe: (input) => `run ${displayArgv(asText(input.command), (t) => t)}${input.cwd ? ` in ${input.cwd}` : ""}`,

  async run(input, ctx) {
    const argv = asText(input.command);
    const display = displayArgv(argv, ctx.redact);
    const cwd = await commandCwd(ctx.baseDir, input.cwd);
    refuseSecondCopy(ctx.priorCheckpoint, (m) => ctx.log.warn(m));
    // Journal which process runs, so that a resumed run can tell whether it outlived cutover.
    let recording: Promise<void> = Promise.resolve();
    const result = await runCommand({
      argv,
      cwd,
      env: commandEnv(input.env, input.inheritEnv, ctx.redact),
      input: input.input,
      signal: ctx.signal,
      killAfterMs: parseDuration(input.killAfter),
      display,
      redact: ctx.redact,
      onStdoutLine: (line) => ctx.log.info(ctx.redact(line)),
      onStderrLine: (line) => ctx.log.info(ctx.redact(line)),
      onSpawn: (pid) => {
        recording = ctx.checkpoint({ ...identify(pid) });
      },
    }).finally(() => recording.catch(() => undefined));
    await recording;

    if (result.exitCode === null || !input.successCodes.includes(result.exitCode)) {
      const how = result.exitCode === null ? `was ended by ${result.signal}` : `exited with code ${result.exitCode}`;
      const source = result.stderr.total > 0 ? result.stderr : result.stdout;
      const lines = source.lastLines(FAILURE_LINES).map((l) => ctx.redact(l));
      throw new ActionFailure(`${display} ${how}${lines.length ? `:\n  ${lines.join("\n  ")}` : ""}`, {
        details: { exitCode: result.exitCode, signal: result.signal, lastLines: lines },
      });
    }

    const stdout = ctx.redact(result.stdout.value.trim());
    const outputs: Record<string, Json> = {};
    if (input.parseJson)
      Object.assign(
        outputs,
        jsonOutputs(stdout, ctx.redact, (m) => ctx.log.warn(m)),
      );
    outputs.exitCode = result.exitCode;
    outputs.stdout = stdout;
    return { outputs };
  },
});

/**
 * After a crash, the program an earlier attempt started may still be running
 * (it is in its own process group and outlives cutover): never start a
 * second copy beside it.
 */
function refuseSecondCopy(prior: unknown, warn: (m: string) => void): void {
  const started = Started.safeParse(prior);
  if (!started.success) return;
  const running = stillRunning(started.data);
  const pid = started.data.pid;
  if (running === true) {
    throw new ActionFailure(
      `the command an earlier attempt started (pid ${pid}) is still running; not starting a second copy`,
      {
        retryable: false,
        hint:
          `Let it finish (or stop it: kill -TERM -${pid}), then ` +
          `\`cutover retry\`; or \`cutover skip\` if it did the job.`,
        details: { pid },
      },
    );
  }
  if (running === "unknown")
    warn(`an earlier attempt started pid ${pid}; cannot tell whether that program is still running`);
}

/** The `parseJson` mechanism: the last non-empty stdout line, a JSON object, becomes outputs. */
function jsonOutputs(stdout: string, redact: (t: string) => string, warn: (m: string) => void): Record<string, Json> {
  const last =
    stdout
      .split(/\r?\n/)
      .filter((l) => l.trim() !== "")
      .pop() ?? "";
  const parsed = tryParseJson(last.trim());
  if (parsed === undefined || parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ActionFailure(
      `parseJson: the last stdout line is not a JSON object: ${last ? clip(last, 160) : "(no output)"}`,
      {
        retryable: false,
        hint:
          "Print the outputs as one JSON object on the last line, " +
          'e.g. {"version": "2.1.0"}, or set parseJson: false.',
      },
    );
  }
  for (const reserved of ["exitCode", "stdout"]) {
    if (Object.hasOwn(parsed, reserved))
      warn(`parseJson: the key "${reserved}" is reserved; the output keeps cutover's value`);
  }
  // JSON.parse keeps "__proto__" as an own key; copied with Object.assign it would replace the outputs' prototype.
  const own = parsed as Record<string, Json>;
  if (Object.hasOwn(own, "__proto__")) {
    warn(`parseJson: the key "__proto__" cannot be an output name; it is left out`);
    delete own["__proto__"];
  }
  return redactJson(own, redact) as Record<string, Json>;
}
