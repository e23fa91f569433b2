/**
 * `http.check`: request a URL until the response meets the expectations
 * (status, body text, JSON values) or the deadline passes.
 *
 * Read-only, hence idempotent, and nothing to undo.
 */
import { z } from "zod";
import type { Json } from "../core/json.js";
import { formatDuration, parseDuration } from "../playbook/duration.js";
import { ActionFailure, defineAction } from "../core/action.js";
import { sleep } from "./support/abort.js";
import { conditionOperators, describeCondition, exactlyOneOperator, holds } from "./support/condition.js";
import { checkUrl, httpRequest, type HttpOutcome } from "./support/http-request.js";
import { readJsonPath } from "./support/json-path.js";
import { clip, redactJson } from "./support/json.js";
import { durationField, headersField, httpBodyField, httpMethodField, jsonPathField } from "./support/schemas.js";
import { OUTPUT_LIMIT } from "./support/output-capture.js";

const JsonExpectation = z
  .object({
    path: jsonPathField("Where the value is in the JSON body, e.g. $.status or $.checks[0].state."),
    ...conditionOperators,
  })
  .strict()
  .superRefine(exactlyOneOperator)
  .describe(
    "A JSON value the body must hold: a path and exactly one operator, e.g. { path: $.status, equals: Healthy }.",
  );

const Expect = z
  .object({
    status: z
      .union([z.number().int(), z.array(z.number().int()).min(1)])
      .optional()
      .describe("Accepted status code(s). Default: any 2xx."),
    bodyContains: z.string().optional().describe("Text the body must contain."),
    json: z.array(JsonExpectation).optional().describe("Values the JSON body must hold; all must."),
  })
  .strict()
  .describe("What a good response looks like; all parts must hold.");

const HttpCheckWith = z
  .object({
    url: z.string().min(1).describe("Absolute http(s) URL. A secret in it (a query token) is redacted in logs."),
    method: httpMethodField,
    headers: headersField.optional(),
    body: httpBodyField.optional(),
    expect: Expect.default({}),
    interval: durationField("Pause between attempts.").default("1s"),
    deadline: durationField(
      "Keep trying until this much time has passed since the first attempt; 0 means a single attempt.",
    ).default("30s"),
    requestTimeout: durationField("Longest wait for one response.").default("10s"),
    outputs: z
      .record(z.string(), jsonPathField("JSON path"))
      .optional()
      .describe(
        "Step outputs read from the JSON body of the good response: " +
          "{ name: $.path }. A missing path fails the attempt.",
      ),
  })
  .strict()
  .refine((w) => w.body === undefined || (w.method !== "GET" && w.method !== "HEAD"), {
    message: "a GET or HEAD request cannot have a body",
    path: ["body"],
  });

type HttpCheckInput = z.infer<typeof HttpCheckWith>;

/** Why an attempt did not pass, or the outputs it yielded. */
type Verdict = { ok: true; outputs: Record<string, Json> } | { ok: false; seen: string; why: string };

export const httpCheck = defineAction({
  kind: "http.check",
  summary: "Request a URL until status, body and JSON values are as expected, or a deadline passes.",
  description:
    "Retries every `interval` until `deadline`; connection errors and timeouts count as failed attempts. " +
    "Fails with what was expected and what was last seen. Read-only: idempotent, nothing to undo.",
  with: HttpCheckWith,
  idempotent: true,
  undo: "none",
  describe: (input) => `check ${input.method} ${input.url} for ${describeExpectation(input)}`,

  async run(input, ctx) {
    checkUrl(input.url, ctx.redact);
    const what = `${input.method} ${ctx.redact(input.url)}`;
    const intervalMs = parseDuration(input.interval);
    const deadlineMs = parseDuration(input.deadline);
    const timeoutMs = parseDuration(input.requestTimeout);
    const started = Date.now();
    let last: Extract<Verdict, { ok: false }> | undefined;
    for (let attempt = 1; ; attempt++) {
      const outcome = await httpRequest({
        url: input.url,
        method: input.method,
        headers: input.headers,
        body: input.body as Json | undefined,
        timeoutMs,
        signal: ctx.signal,
      });
      const verdict = judge(input, outcome, ctx.redact);
      if (verdict.ok) {
        ctx.log.info(`${what}: ${outcome.ok ? outcome.status : ""} as expected (attempt ${attempt})`);
        return { outputs: verdict.outputs };
      }
      last = verdict;
      const elapsed = Date.now() - started;
      const left = deadlineMs - elapsed;
      ctx.log.progress(
        `attempt ${attempt}: ${verdict.seen}, want ${verdict.why} (${formatDuration(Math.max(0, left))} left)`,
        deadlineMs > 0 ? Math.min(1, elapsed / deadlineMs) : undefined,
      );
      if (left <= 0) {
        throw new ActionFailure(
          `${what}: expected ${describeExpectation(input)}; last seen after ${attempt} ` +
            `attempt${attempt === 1 ? "" : "s"} in ${formatDuration(elapsed)}: ${last.seen} (${last.why} not met)`,
          {
            details: { attempts: attempt, lastSeen: last.seen },
            hint: "Raise `deadline` if the service needs longer to become ready.",
          },
        );
      }
      await sleep(Math.min(intervalMs, left), ctx.signal);
    }
  },
});

function statusWanted(input: HttpCheckInput, status: number): boolean {
  const want = input.expect.status;
  if (want === undefined) return status >= 200 && status <= 299;
  return Array.isArray(want) ? want.includes(status) : want === status;
}

function describeStatus(input: HttpCheckInput): string {
  const want = input.expect.status;
  if (want === undefined) return "status 2xx";
  return `status ${Array.isArray(want) ? want.join(" or ") : want}`;
}

function describeExpectation(input: HttpCheckInput): string {
  const parts = [describeStatus(input)];
  if (input.expect.bodyContains !== undefined)
    parts.push(`body containing ${JSON.stringify(input.expect.bodyContains)}`);
  for (const j of input.expect.json ?? []) parts.push(`${j.path} ${describeCondition(j)}`);
  return parts.join(" and ");
}

function judge(input: HttpCheckInput, outcome: HttpOutcome, redact: (t: string) => string): Verdict {
  if (!outcome.ok) return { ok: false, seen: redact(outcome.error), why: describeStatus(input) };
  const seenStatus = `got ${outcome.status}`;
  const bodyPreview = () => (outcome.text ? `, body ${JSON.stringify(clip(redact(outcome.text), 200))}` : "");
  if (!statusWanted(input, outcome.status))
    return { ok: false, seen: seenStatus + bodyPreview(), why: describeStatus(input) };
  const needle = input.expect.bodyContains;
  if (needle !== undefined && !outcome.text.includes(needle)) {
    return { ok: false, seen: seenStatus + bodyPreview(), why: `body containing ${JSON.stringify(needle)}` };
  }
  const needsJson = (input.expect.json?.length ?? 0) > 0 || Object.keys(input.outputs ?? {}).length > 0;
  if (needsJson && outcome.json === undefined) {
    return {
      ok: false,
      seen: `${seenStatus}, body is not JSON${outcome.truncated ? " (too large)" : ""}${bodyPreview()}`,
      why: "a JSON body",
    };
  }
  for (const j of input.expect.json ?? []) {
    const found = readJsonPath(outcome.json, j.path);
    if (!holds(j, found)) {
      const value = found.found ? clip(redact(JSON.stringify(found.value)), 120) : "(absent)";
      return { ok: false, seen: `${seenStatus}, ${j.path} = ${value}`, why: `${j.path} ${describeCondition(j)}` };
    }
  }
  const outputs: Record<string, Json> = {
    status: outcome.status,
    body: redact(outcome.text.slice(0, OUTPUT_LIMIT)),
  };
  for (const [name, path] of Object.entries(input.outputs ?? {})) {
    const found = readJsonPath(outcome.json, path);
    if (!found.found)
      return { ok: false, seen: `${seenStatus}, no value at ${path}`, why: `a value at ${path} for output ${name}` };
    outputs[name] = redactJson(found.value, redact);
  }
  return { ok: true, outputs };
}
