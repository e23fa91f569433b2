/**
 * `wait.until`: poll a value (a JSON value from an HTTP endpoint, or a
 * command's output) until a condition holds or the deadline passes, e.g.
 * "until the old worker reports 0 in-flight messages".
 *
 * Read-only (as far as cutover can tell: a polled command should be a
 * query), hence idempotent, and nothing to undo.
 */
import { z } from "zod";
import type { Json } from "../core/json.js";
import { formatDuration, parseDuration } from "../playbook/duration.js";
import { ActionFailure, defineAction, type ActionContext, type ActionResult } from "../core/action.js";
import { sleep } from "./support/abort.js";
import { commandEnv, displayArgv } from "./support/command-env.js";
import { Condition, describeCondition, holds } from "./support/condition.js";
import { checkUrl, httpRequest } from "./support/http-request.js";
import { readJsonPath, type PathLookup } from "./support/json-path.js";
import { clip, preview, redactJson, tryParseJson } from "./support/json.js";
import { runCommand } from "./support/run-command.js";
import {
  argvField,
  asText,
  durationField,
  headersField,
  httpBodyField,
  httpMethodField,
  jsonPathField,
} from "./support/schemas.js";

const HttpSource = z
  .object({
    url: z
      .string()
      .min(1)
      .describe("Absolute http(s) URL; a 2xx response is required, anything else counts as a failed poll."),
    method: httpMethodField,
    headers: headersField.optional(),
    body: httpBodyField.optional(),
    path: jsonPathField(
      "The value to test in the JSON body; `$` (the default) is the whole body, or the text of a non-JSON body.",
    ).default("$"),
  })
  .strict()
  .describe("Poll an HTTP endpoint.");

const WaitUntilWith = z
  .object({
    http: HttpSource.optional(),
    command: argvField(
      "Poll a command (argv, no shell, run in the playbook's directory): its trimmed stdout, parsed as JSON when " +
        "it is JSON, is the value. A nonzero exit is a failed poll.",
    ).optional(),
    condition: Condition,
    interval: durationField("Pause between polls.").default("1s"),
    deadline: durationField("Give up when the condition has not held for this long.").default("5m"),
    pollTimeout: durationField("Longest wait for one HTTP response or one command run.").default("10s"),
  })
  .strict()
  .refine((w) => (w.http === undefined) !== (w.command === undefined), {
    message: "give exactly one source: `http` or `command`",
  });

type WaitUntilInput = z.infer<typeof WaitUntilWith>;

/** One poll: the value seen, or why there was none. */
type Observation = { lookup: PathLookup; shown: string } | { error: string };

export const waitUntil = defineAction({
  kind: "wait.until",
  summary: "Poll an HTTP JSON value or a command until a condition holds, or a deadline passes.",
  description:
    "Polls every `interval`; failed polls (connection refused, non-2xx, nonzero exit) are reported and polling goes " +
    "on. Outputs the value that satisfied the condition. Read-only: idempotent, nothing to undo.",
  with: WaitUntilWith,
  idempotent: true,
  undo: "none",
  describe: (input) =>
    `wait until ${sourceLabel(input, (t) => t)} ${describeCondition(input.condition)} (at most ` +
    `${formatDuration(parseDuration(input.deadline))})`,

  async run(input, ctx): Promise<ActionResult> {
    if (input.http) checkUrl(input.http.url, ctx.redact);
    const label = sourceLabel(input, ctx.redact);
    const want = describeCondition(input.condition);
    const intervalMs = parseDuration(input.interval);
    const deadlineMs = parseDuration(input.deadline);
    const pollTimeoutMs = parseDuration(input.pollTimeout);
    const started = Date.now();
    let last: Observation | undefined;
    for (let poll = 1; ; poll++) {
      last = await observe(input, ctx, pollTimeoutMs);
      const elapsed = Date.now() - started;
      if ("lookup" in last && holds(input.condition, last.lookup)) {
        ctx.log.info(`${label} = ${last.shown}: ${want} after ${poll} poll${poll === 1 ? "" : "s"}`);
        const value = last.lookup.found ? redactJson(last.lookup.value, ctx.redact) : null;
        return { outputs: { value, elapsedMs: elapsed, polls: poll } };
      }
      const left = deadlineMs - elapsed;
      const seen = "error" in last ? last.error : `${label} = ${last.shown}`;
      ctx.log.progress(
        `poll ${poll}: ${seen} (want ${want}), ${formatDuration(Math.max(0, left))} left`,
        deadlineMs > 0 ? Math.min(1, elapsed / deadlineMs) : undefined,
      );
      if (left <= 0) {
        throw new ActionFailure(
          `${label} ${want} did not hold within ${formatDuration(deadlineMs)} (${poll} ` +
            `poll${poll === 1 ? "" : "s"}); last: ${seen}`,
          {
            details: { polls: poll, last: seen },
            hint: "Raise `deadline` if it needs longer, or check the condition against what the source reports.",
          },
        );
      }
      await sleep(Math.min(intervalMs, left), ctx.signal);
    }
  },
});

function sourceLabel(input: WaitUntilInput, redact: (t: string) => string): string {
  if (input.http) return `${input.http.path} of ${redact(input.http.url)}`;
  return `output of ${displayArgv(asText(input.command ?? []), redact)}`;
}

async function observe(input: WaitUntilInput, ctx: ActionContext, timeoutMs: number): Promise<Observation> {
  if (input.http) {
    const { url, method, headers, body, path } = input.http;
    const res = await httpRequest({
      url,
      method,
      headers,
      body: body as Json | undefined,
      timeoutMs,
      signal: ctx.signal,
    });
    if (!res.ok) return { error: ctx.redact(res.error) };
    if (res.status < 200 || res.status > 299)
      return { error: `got ${res.status}${res.text ? ` ${JSON.stringify(clip(ctx.redact(res.text), 120))}` : ""}` };
    // A non-JSON body is plain text: usable as the whole value (`$`), with nothing under any deeper path.
    const doc: Json | undefined = res.json !== undefined ? res.json : path === "$" ? res.text.trim() : undefined;
    if (doc === undefined) return { error: `body is not JSON: ${JSON.stringify(clip(ctx.redact(res.text), 120))}` };
    return shown(readJsonPath(doc, path), ctx.redact);
  }
  return observeCommand(asText(input.command!), ctx, timeoutMs);
}

async function observeCommand(argv: string[], ctx: ActionContext, timeoutMs: number): Promise<Observation> {
  const display = displayArgv(argv, ctx.redact);
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const result = await runCommand({
      argv,
      cwd: ctx.baseDir,
      env: commandEnv(undefined, true, ctx.redact),
      signal: AbortSignal.any([ctx.signal, timeout]),
      killAfterMs: 2_000,
      display,
      redact: ctx.redact,
    });
    if (result.exitCode !== 0) {
      const why = result.exitCode === null ? `was ended by ${result.signal}` : `exited with code ${result.exitCode}`;
      const line = result.stderr.lastLines(1)[0] ?? result.stdout.lastLines(1)[0];
      return { error: `${display} ${why}${line ? `: ${clip(ctx.redact(line), 160)}` : ""}` };
    }
    const text = result.stdout.value.trim();
    const parsed = tryParseJson(text);
    return shown({ found: true, value: parsed !== undefined ? parsed : text }, ctx.redact);
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    if (timeout.aborted) return { error: `${display} did not finish within ${formatDuration(timeoutMs)}` };
    throw e; // cannot start it (ENOENT...): not something polling will fix
  }
}

function shown(lookup: PathLookup, redact: (t: string) => string): Observation {
  return { lookup, shown: lookup.found ? redact(preview(lookup.value)) : "(absent)" };
}
