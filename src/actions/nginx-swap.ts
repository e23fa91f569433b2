/**
 * `nginx.swap`: point an nginx upstream at another slot. Rewrites the
 * upstream include file atomically, runs the configuration test (restoring
 * the previous file if it fails), reloads nginx gracefully (old workers
 * finish their requests, new ones take new connections) and verifies
 * through the public URL.
 *
 * Idempotent: a file already pointing at the slot is not rewritten (nginx is
 * still reloaded, in case a crash came between the write and the reload).
 * The previous file is checkpointed before the write; undo puts it back.
 */
import { z } from "zod";
import { formatDuration, parseDuration } from "../playbook/duration.js";
import { NginxUpstream } from "../core/capabilities.js";
import type { NginxUpstreamClient } from "../core/nginx-upstream.js";
import { SlotNameSchema, type SlotName } from "../core/slots.js";
import { ActionFailure, defineAction, type ActionContext, type ActionResult } from "../core/action.js";
import { sleep } from "./support/abort.js";
import { durationField } from "./support/schemas.js";
import { probe } from "./local-common.js";

/** Larger include files are not journaled for undo (they are a list of servers; this is plenty). */
const MAX_RECORDED_FILE = 64 * 1024;

const Verify = z
  .object({
    path: z.string().default("/").describe("Path requested through `publicUrl`."),
    bodyContains: z
      .string()
      .optional()
      .describe("Text the answer must contain once the new slot serves (e.g. its version). Without it any 2xx passes."),
    timeout: durationField("How long the new slot may take to answer through nginx.").default("10s"),
    settle: durationField(
      "How long the check must keep passing, on new connections, before the swap counts as done: right after a " +
        "reload, old workers may still accept a few connections.",
    ).default("500ms"),
  })
  .strict()
  .describe("The check that the new slot serves through nginx.");

const NginxSwapWith = z
  .object({
    target: z
      .string()
      .min(1)
      .optional()
      .describe("The environment entry of the nginx load balancer (`provider: nginx`). Default: `lb`."),
    to: z
      .enum(["blue", "green", "idle"])
      .describe("The slot to route to: `blue`, `green`, or `idle` (the one the include file does not point at now)."),
    verify: Verify.default({ path: "/", timeout: "10s", settle: "500ms" }),
  })
  .strict();

type VerifyInput = z.infer<typeof Verify>;

export const nginxSwap = defineAction({
  kind: "nginx.swap",
  summary:
    "Rewrite an nginx upstream include file to another slot, test the configuration, reload gracefully and verify.",
  description:
    "Outputs `live` and `previous`. Undo restores the previous include file, tests, reloads and verifies again.",
  with: NginxSwapWith,
  idempotent: true,
  undo: "recorded",
  // Interrupted after writing the file: abort puts the checkpointed one back.
  undoIncomplete: true,
  provider: { capability: NginxUpstream, defaultTarget: "lb" },
  describe: (input) => `route nginx (${input.target ?? "lb"}) to the ${input.to} slot and reload`,

  records: z.object({ previous: SlotNameSchema.nullable(), previousText: z.string().nullable() }),
  checkpoints: z.object({
    to: SlotNameSchema,
    previous: SlotNameSchema.nullable(),
    previousText: z.string().nullable(),
  }),

  async run(input, ctx): Promise<ActionResult> {
    const nginx = await ctx.provider(input.target ?? "lb", NginxUpstream);
    const current = await nginx.read();
    const prior = ctx.priorCheckpoint;
    const to: SlotName = prior?.to ?? (input.to === "idle" ? (current.live === "green" ? "blue" : "green") : input.to);
    const previousText = prior ? prior.previousText : (current.text ?? null);
    const previous = prior ? prior.previous : (current.live ?? null);
    const next = nginx.render(to);
    if (previousText !== null && previousText.length > MAX_RECORDED_FILE) {
      throw new ActionFailure(
        `${nginx.options.upstreamFile} is larger than ${MAX_RECORDED_FILE} bytes; it should hold only server lines`,
        { retryable: false },
      );
    }
    await ctx.checkpoint({ to, previous, previousText });

    if (current.text !== next) {
      await nginx.write(next);
      try {
        await nginx.test(ctx.signal);
      } catch (e) {
        // Never leave a file nginx refuses: the next reload (anyone's) would fail.
        await restore(nginx, previousText);
        throw new ActionFailure(`nginx refused the new upstream file: ${(e as Error).message}`, {
          retryable: false,
          cause: e,
        });
      }
    }
    await nginx.reload(ctx.signal);
    try {
      await verifyServes(nginx, to, input.verify, ctx);
    } catch (e) {
      ctx.log.warn(`${to} does not answer through ${nginx.publicUrl}; restoring the previous upstream file`);
      if (previousText !== null) {
        await nginx.write(previousText);
        await nginx.reload(ctx.signal).catch(() => undefined);
      }
      throw e;
    }
    ctx.log.info(`nginx routes ${nginx.publicUrl} to ${to} (${nginx.options.slots[to].join(", ")})`);
    const effect =
      current.text === next
        ? `nginx already routed to ${to}: nothing changed`
        : `${to} is live (nginx; was ${previous ?? "unset"})`;
    return { outputs: { live: to, previous }, recorded: { previous, previousText }, effect };
  },

  async undoRun(input, ctx) {
    const nginx = await ctx.provider(input.target ?? "lb", NginxUpstream);
    // Completed: what it recorded. Interrupted: what it checkpointed before writing (none: it wrote nothing).
    const interrupted = ctx.recorded === null;
    const rec = interrupted ? ctx.lastCheckpoint : ctx.recorded;
    // No file before the swap (null) or nothing recorded: there is nothing to put back.
    if (!rec || rec.previousText === null) return;
    const { previous, previousText } = rec;
    const current = await nginx.read();
    const to = ctx.lastCheckpoint?.to;
    if (interrupted && (!to || current.text !== nginx.render(to))) {
      ctx.log.info(
        `the interrupted swap's file is not in place (${nginx.options.upstreamFile} routes to ` +
          `${current.live ?? "?"}): nothing to undo`,
      );
      return;
    }
    if (current.text !== previousText) {
      await nginx.write(previousText);
      await nginx.test(ctx.signal);
    }
    await nginx.reload(ctx.signal);
    // nginx gives no sign of which slot answered: the answer must no longer carry the new slot's text.
    if (previous)
      await verifyServes(nginx, previous, { ...input.verify, bodyContains: undefined }, ctx, input.verify.bodyContains);
  },
});

async function restore(nginx: NginxUpstreamClient, previousText: string | null): Promise<void> {
  if (previousText !== null) await nginx.write(previousText);
  else await nginx.write("# cutover: no upstream servers yet\n");
}

async function verifyServes(
  nginx: NginxUpstreamClient,
  slot: SlotName,
  verify: VerifyInput,
  ctx: Pick<ActionContext, "signal">,
  bodyLacks?: string,
): Promise<void> {
  const url = `${nginx.publicUrl}${verify.path}`;
  const timeoutMs = parseDuration(verify.timeout);
  const settleMs = parseDuration(verify.settle);
  const deadline = Date.now() + timeoutMs + settleMs;
  let last = "no answer";
  let passingSince: number | undefined;
  while (true) {
    const got = await probe(url, ctx.signal);
    const contains = verify.bodyContains === undefined || (got.ok && got.body.includes(verify.bodyContains));
    const lacks = bodyLacks === undefined || (got.ok && !got.body.includes(bodyLacks));
    if (got.ok && contains && lacks) {
      passingSince ??= Date.now();
      if (Date.now() - passingSince >= settleMs) return;
    } else {
      passingSince = undefined;
      last = got.ok ? `${got.status} ${got.body.slice(0, 200)}` : got.error;
    }
    if (Date.now() > deadline)
      throw new ActionFailure(
        `${slot} did not answer ${url} steadily within ${formatDuration(timeoutMs)} (last: ${last})`,
      );
    await sleep(passingSince === undefined ? 100 : 25, ctx.signal);
  }
}
