/**
 * The playbook format, defined once. This zod schema is the source of the
 * TypeScript types, of structural validation, of `cutover schema` (JSON
 * Schema for editors) and of docs/playbook.md. Action `with:` blocks and
 * provider entries are checked against each action's and provider's own
 * schema in validate.ts; here they are open objects.
 */
import { z } from "zod";
import { DURATION_RANGES } from "../core/duration.js";
import { durationSchema } from "../core/duration-schema.js";

const ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
const EXPR_ONLY = /^\s*\$\{\{[\s\S]*\}\}\s*$/;

const Id = z
  .string()
  .regex(
    ID_PATTERN,
    "must be lower-case letters, digits and dashes, starting with a letter or digit (e.g. deploy-green)",
  )
  .max(63, "must be at most 63 characters");

const Expression = z
  .string()
  .regex(EXPR_ONLY, "must be an expression written as ${{ ... }}")
  .describe("An expression, written ${{ ... }}: see docs/playbook.md#expressions.");

const RetryPolicy = z
  .object({
    maxRetries: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(0)
      .describe("How many times to try again after the first failure."),
    delay: durationSchema("Wait before the first retry; doubles on each further retry.", DURATION_RANGES.pause).default(
      "1s",
    ),
    maxDelay: durationSchema("The longest wait between two retries.", DURATION_RANGES.pause).default("1m"),
    factor: z.number().min(1).max(10).default(2).describe("How much the delay grows per retry."),
  })
  .strict()
  .describe("Retry a failed attempt with exponential backoff (with jitter) before applying onFailure.");

const OnFailure = z
  .enum(["pause", "abort", "continue"])
  .describe(
    "What the run does when the step has failed all its attempts. pause: stop and wait for `cutover " +
      "retry|skip|abort` (exit 3). abort: undo completed steps " +
      "in reverse order. continue: record the failure and go on.",
  );

const ResumePolicy = z
  .enum(["rerun", "pause", "skip", "fail"])
  .describe(
    "For actions that are not idempotent (exec): what `resume` does when the run was interrupted while this step " +
      "was running. rerun: run it again. pause: ask a person (exit 3). skip: mark it skipped. fail: treat it as " +
      "failed (onFailure applies).",
  );

const UndoOverride = z
  .union([
    z.literal(false),
    z
      .object({
        action: z.string().describe("The action kind to run as this step's undo."),
        with: z.record(z.string(), z.unknown()).default({}).describe("Its inputs; expressions allowed."),
        timeout: durationSchema("Time limit for the undo.", DURATION_RANGES.timeout).optional(),
        alsoWhenFailed: z
          .boolean()
          .default(false)
          .describe(
            "Also run this undo when the step failed or was interrupted (its cleanup of a half-done attempt), " +
              "in the step's place in the abort order. Default: only for a step that succeeded.",
          ),
      })
      .strict(),
  ])
  .describe(
    "Override the action's own undo. false: this step is not undone on abort (reported as left in place). An " +
      "object: run this action instead.",
  );

const Barrier = z
  .object({
    reason: z
      .string()
      .min(1)
      .describe("What users write once this step has succeeded, that undoing the steps before it would lose."),
  })
  .strict()
  .describe(
    "A data barrier: once this step has succeeded, users write data the earlier steps' undos cannot carry back. " +
      "Past it, `abort` and `abort --rollback` refuse (exit 2) unless `--accept-data-loss --reason`.",
  );

const Requires = z
  .object({
    playbook: Id.describe(
      "The name of the playbook whose run this one depends on (e.g. the release a cleanup finishes).",
    ),
    environment: Id.optional().describe("The environment that run is in. Default: this playbook's environment."),
    status: z
      .literal("succeeded")
      .default("succeeded")
      .describe("What that run must be: succeeded (and not rolled back)."),
  })
  .strict()
  .describe(
    "A linked run: this playbook runs only while the latest run of `playbook` in `environment` succeeded and is the " +
      "environment's latest release; once this run has succeeded, `abort --rollback` of that run is refused.",
  );

/** The only way to give a webhook URL: it is a credential (whoever has it can post), so never in the playbook. */
const SECRET_REF = /^\s*\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$/;

/** The name of the secret a `notify:` webhook URL refers to (`${{ secrets.NAME }}`). */
export function webhookSecretName(url: string): string | undefined {
  return SECRET_REF.exec(url)?.[1];
}

const NOTIFY_EVENTS = ["paused", "failed", "gate-waiting", "succeeded", "aborted"] as const;

const NotifyTarget = z
  .object({
    webhook: z
      .object({
        url: z
          .string()
          .regex(
            SECRET_REF,
            "must be ${{ secrets.NAME }}: a webhook URL is a credential, so it lives in the environment " +
              "(CUTOVER_SECRET_NAME or NAME), never in the playbook",
          )
          .describe(
            "The webhook's URL, as `${{ secrets.NAME }}` (read from CUTOVER_SECRET_NAME or NAME). Never printed, " +
              "logged or journaled (the journal names the target by its index).",
          ),
      })
      .strict()
      .describe("Where to POST: an HTTP(S) endpoint answering 2xx (Slack or Teams incoming webhook, or your own)."),
    events: z
      .array(z.enum(NOTIFY_EVENTS))
      .min(1)
      .default([...NOTIFY_EVENTS])
      .describe(
        "What to notify. paused: a failed step waits for retry/skip/abort (or a resume policy asks a person). " +
          "gate-waiting: the run waits at an approval gate. failed, succeeded, aborted: the run finished so. " +
          "Default: all.",
      ),
    format: z
      .enum(["slack", "teams", "generic"])
      .default("generic")
      .describe(
        "The body. slack: `{text, blocks}` for a Slack incoming webhook. teams: a message with an Adaptive Card " +
          "attachment, for a Teams incoming webhook or a Workflows (Power Automate) webhook. generic: the event " +
          "as JSON (see docs/notifications.md).",
      ),
  })
  .strict()
  .describe("A webhook told about the run's events: delivered at least once, never failing the release.");

export const ParamSpec = z
  .object({
    type: z
      .enum(["string", "number", "boolean", "list"])
      .default("string")
      .describe("Value type. A list is given on the command line as a,b,c."),
    required: z.boolean().default(false).describe("The run refuses to start without it."),
    default: z
      .union([z.string(), z.number(), z.boolean(), z.array(z.string())])
      .optional()
      .describe("Value used when none is given."),
    description: z.string().optional().describe("What it is for; shown by `plan`."),
    secret: z
      .boolean()
      .default(false)
      .describe("Never printed or journaled; give it through the environment variable CUTOVER_PARAM_<NAME>."),
    allowed: z
      .array(z.union([z.string(), z.number()]))
      .optional()
      .describe("The only values accepted."),
  })
  .strict();

const ProviderEntry = z
  .object({
    provider: z
      .string()
      .min(1)
      .describe("The provider kind: file, local, nginx, postgres, sqlite, azure-appservice, ..."),
  })
  .passthrough()
  .describe("A named provider and its configuration; other fields depend on the provider.");

const EnvironmentSpec = z
  .object({
    name: Id.optional().describe(
      "The environment's name: the key of its lease (one active run per environment). Default: the playbook name.",
    ),
  })
  .catchall(ProviderEntry)
  .describe(
    "Named providers and their configuration. `state` holds the journal and lease (default: the file store in " +
      ".cutover/); `flags` is the default flag store.",
  );

/** Entries a playbook may leave out: the embedded file store holds state and flags. */
export const IMPLICIT_ENVIRONMENT: Readonly<Record<string, { provider: string }>> = {
  state: { provider: "file" },
  flags: { provider: "file" },
};

const StepCommon = {
  id: Id.describe("Unique id of the step in the playbook."),
  description: z.string().optional().describe("What the step is for, shown by plan and status."),
  when: z
    .union([Expression, z.boolean()])
    .optional()
    .describe("Run the step only if this is true; otherwise it is skipped."),
};

export interface StepSpec {
  id: string;
  description?: string;
  when?: string | boolean;
  action?: string;
  with?: Record<string, unknown>;
  timeout?: string | number;
  retry?: z.infer<typeof RetryPolicy>;
  onFailure?: z.infer<typeof OnFailure>;
  undo?: z.infer<typeof UndoOverride>;
  resume?: z.infer<typeof ResumePolicy>;
  matrix?: Record<string, unknown[] | string>;
  maxParallel?: number;
  parallel?: boolean;
  steps?: StepSpec[];
  barrier?: z.infer<typeof Barrier>;
}

const StepSchema: z.ZodType<StepSpec> = z
  .object({
    ...StepCommon,
    action: z.string().optional().describe("The action kind (see docs/actions.md). A step has either action or steps."),
    with: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("The action's inputs; strings may hold ${{ }} expressions."),
    timeout: durationSchema(
      "Time limit of one attempt; the action is cancelled through its AbortSignal.",
      DURATION_RANGES.timeout,
    ).optional(),
    retry: RetryPolicy.optional(),
    onFailure: OnFailure.optional(),
    undo: UndoOverride.optional(),
    resume: ResumePolicy.optional(),
    barrier: Barrier.optional(),
    matrix: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "matrix keys are identifiers"),
        z.union([z.array(z.union([z.string(), z.number(), z.boolean()])).min(1), Expression]),
      )
      .optional()
      .describe(
        "Run the action once per value (or per combination of several keys); each member is journaled on its " +
          "own, e.g. swap[eastus]. Values: a list, or ${{ params.<list param> }}.",
      ),
    maxParallel: z
      .number()
      .int()
      .min(1)
      .max(256)
      .optional()
      .describe(
        "How many matrix members or parallel group members run at once. Default: 1 for a matrix, unlimited for a " +
          "parallel group.",
      ),
    parallel: z
      .boolean()
      .optional()
      .describe("For a group: run its steps at the same time (bounded by maxParallel) instead of in order."),
    get steps() {
      return z
        .array(StepSchema)
        .min(1)
        .optional()
        .describe("A group of steps, run in order or (parallel: true) at once.");
    },
  })
  .strict()
  .superRefine((s, ctx) => {
    const isGroup = s.steps !== undefined;
    if (isGroup === (s.action !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: isGroup ? ["action"] : [],
        message: "a step needs exactly one of `action` (a step) or `steps` (a group)",
      });
    }
    if (isGroup) {
      for (const f of ["with", "timeout", "retry", "undo", "resume", "matrix", "barrier"] as const) {
        if (s[f] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [f],
            message: `\`${f}\` belongs on a step with an action, not on a group`,
          });
      }
    } else if (s.parallel !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["parallel"],
        message: "`parallel` belongs on a group (a step with `steps`)",
      });
    }
  }) as unknown as z.ZodType<StepSpec>;

export const PlaybookSchema = z
  .object({
    version: z.literal(1).describe("Format version; always 1."),
    name: Id.describe("The playbook's name; runs are listed under it."),
    description: z.string().optional().describe("What this release does."),
    summary: z
      .string()
      .optional()
      .describe(
        "One line printed when a run succeeds, e.g. which version serves where: `${{ steps.swap.outputs.version " +
          "}} serves ${{ steps.swap.outputs.url }}`. Expressions see every step.",
      ),
    environment: EnvironmentSpec.default({}),
    requires: Requires.optional(),
    params: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "param names are identifiers (letters, digits, _)"),
        ParamSpec,
      )
      .default({})
      .describe("Inputs of the run, given with --param name=value."),
    defaults: z
      .object({
        timeout: durationSchema("Default step timeout.", DURATION_RANGES.timeout).optional(),
        retry: RetryPolicy.optional(),
        onFailure: OnFailure.optional(),
        resume: ResumePolicy.optional(),
      })
      .strict()
      .optional()
      .describe("Defaults applied to every step that does not set its own."),
    lease: z
      .object({
        ttl: durationSchema(
          "How long the environment lease lasts without a heartbeat; a crashed run's lease frees itself after this.",
          DURATION_RANGES.leaseTtl,
        ).default("30s"),
      })
      .strict()
      .optional()
      .describe("The environment lease: one active run per environment, freed by itself if its holder dies."),
    steps: z.array(StepSchema).min(1, "a playbook needs at least one step").describe("The steps, run in order."),
    notify: z
      .array(NotifyTarget)
      .max(20)
      .optional()
      .describe("Webhooks told when the run pauses, waits at a gate or finishes (docs/notifications.md)."),
  })
  .strict();

export type Playbook = z.infer<typeof PlaybookSchema>;
export type ParamSpecT = z.infer<typeof ParamSpec>;
