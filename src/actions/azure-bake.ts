/**
 * `azure.bake`: watch a slot (production by default) for a while after a
 * swap: request it every `interval` for `duration`, and fail as soon as it
 * answers badly `maxConsecutiveFailures` times in a row, or at the end if too
 * many answers were bad. App Service has no automatic swap-back after a
 * "successful" swap that then serves 503s; with `onFailure: abort` on this
 * step, a failed bake makes cutover undo the release (swap back, restore the
 * maintenance flag) without waiting for a person.
 *
 * The window's end is checkpointed, so a resumed run watches the remainder
 * instead of starting over.
 */
import { z } from "zod";
import { formatDuration, parseDuration } from "../playbook/duration.js";
import { PRODUCTION } from "../providers/azure/appservice-types.js";
import { ActionFailure, defineAction, type ActionResult } from "../core/action.js";
import { durationField } from "./support/schemas.js";
import { sleep, throwIfAborted } from "./support/abort.js";
import { appField, appserviceTargetField, resolveSlot, slotLabel, appserviceProvider } from "./azure-common.js";
import { siteGet } from "./azure-site-request.js";

const AzureBakeWith = z
  .object({
    target: appserviceTargetField,
    app: appField,
    slot: z.string().min(1).default(PRODUCTION).describe("The slot to watch (default `production`)."),
    path: z.string().startsWith("/").default("/").describe("Path requested on the slot's hostname."),
    expectStatus: z
      .array(z.number().int().min(100).max(599))
      .min(1)
      .default([200])
      .describe("Statuses that count as good."),
    duration: durationField("How long to watch.").default("5m"),
    interval: durationField("Pause between requests.").default("5s"),
    maxLatency: durationField("An answer slower than this counts as bad (optional).").optional(),
    maxConsecutiveFailures: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe("Fail at once after this many bad answers in a row."),
    maxFailureRate: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe("Fail at the end if more than this share of answers were bad."),
    requestTimeout: durationField("Timeout of one request (a timeout is a bad answer).").default("30s"),
    url: z.string().url().optional().describe("Request this URL instead of https://<slot hostname><path>."),
  })
  .strict();

const Window = z.object({ until: z.string() });

export const azureBake = defineAction({
  kind: "azure.bake",
  summary: "Watch a slot (production by default) for a while after a swap; fail on repeated or frequent bad answers.",
  description:
    "Use `onFailure: abort` on the step to swap back automatically. Outputs `requests`, `failures`, `slowestMs`. " +
    "Nothing to undo; a resumed run watches the rest of the window.",
  with: AzureBakeWith,
  idempotent: true,
  undo: "none",
  provider: appserviceProvider,
  describe: (input) =>
    `watch ${slotLabel(input)} on ${input.path} for ${formatDuration(parseDuration(input.duration))}`,

  async run(input, ctx): Promise<ActionResult> {
    const { client, app, slot } = await resolveSlot(ctx, input);
    const state = await client.getSlot(app, slot, ctx.signal);
    const url = input.url ?? `https://${state.defaultHostName}${input.path}`;
    const prior = Window.safeParse(ctx.priorCheckpoint);
    const until = prior.success ? Date.parse(prior.data.until) : Date.now() + parseDuration(input.duration);
    if (!prior.success) await ctx.checkpoint({ until: new Date(until).toISOString() });
    const interval = parseDuration(input.interval);
    const maxLatency = input.maxLatency !== undefined ? parseDuration(input.maxLatency) : Infinity;
    let requests = 0;
    let failures = 0;
    let inARow = 0;
    let slowest = 0;
    let last = "";
    while (true) {
      throwIfAborted(ctx.signal);
      const a = await siteGet(url, client.options.tlsCa, parseDuration(input.requestTimeout), ctx.signal);
      throwIfAborted(ctx.signal);
      requests++;
      slowest = Math.max(slowest, a.ms);
      const good = a.status !== undefined && input.expectStatus.includes(a.status) && a.ms <= maxLatency;
      if (good) inARow = 0;
      else {
        failures++;
        inARow++;
        last =
          a.error ??
          (a.status !== undefined && input.expectStatus.includes(a.status)
            ? `slow: ${Math.round(a.ms)} ms`
            : `HTTP ${a.status}`);
        ctx.log.warn(`${app}/${slot}: bad answer ${inARow} in a row (${last})`);
        if (inARow >= input.maxConsecutiveFailures) {
          throw new ActionFailure(
            `${app}/${slot} answered badly ${inARow} times in a row while baking (last: ${last})`,
            {
              retryable: false,
              hint: "With `onFailure: abort` the release is undone (swap back); otherwise `cutover abort` it.",
              details: { requests, failures },
            },
          );
        }
      }
      ctx.log.progress(
        `${app}/${slot}: ${requests} request(s), ${failures} bad`,
        Math.min(1, 1 - (until - Date.now()) / parseDuration(input.duration)),
      );
      if (Date.now() + interval >= until) break;
      await sleep(interval, ctx.signal);
    }
    if (failures / requests > input.maxFailureRate) {
      throw new ActionFailure(
        `${app}/${slot}: ${failures} of ${requests} answers were bad while baking (more than ` +
          `${input.maxFailureRate * 100}%; last: ${last})`,
        {
          retryable: false,
          hint: "With `onFailure: abort` the release is undone (swap back); otherwise `cutover abort` it.",
          details: { requests, failures },
        },
      );
    }
    ctx.log.info(`${app}/${slot} baked: ${requests} request(s), ${failures} bad, slowest ${Math.round(slowest)} ms`);
    return { outputs: { requests, failures, slowestMs: Math.round(slowest) } };
  },
});
