/**
 * `azure.warmup`: request a path on a slot's OWN hostname (not production's)
 * until it answers with an expected status, so a swap only moves a slot that
 * is already warm. App Service's built-in swap warm-up accepts any status by
 * default and its timeout is not configurable; this one is explicit.
 *
 * Observes the slot first: a stopped slot fails at once (no point waiting).
 */
import { z } from "zod";
import { formatDuration, parseDuration } from "../playbook/duration.js";
import { ActionFailure, defineAction, type ActionResult } from "../core/action.js";
import { durationField } from "./support/schemas.js";
import { sleep, throwIfAborted } from "./support/abort.js";
import {
  appField,
  appserviceTargetField,
  resolveSlot,
  slotField,
  slotLabel,
  appserviceProvider,
} from "./azure-common.js";
import { siteGet } from "./azure-site-request.js";

const AzureWarmupWith = z
  .object({
    target: appserviceTargetField,
    app: appField,
    slot: slotField,
    path: z.string().startsWith("/").default("/").describe("Path requested on the slot's hostname, e.g. /health."),
    expectStatus: z
      .array(z.number().int().min(100).max(599))
      .min(1)
      .default([200])
      .describe("Statuses that count as warm."),
    bodyContains: z.string().optional().describe("Text the answer must contain (e.g. the version just deployed)."),
    successes: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("Consecutive good answers required (more than one spreads over instances)."),
    timeout: durationField("How long the slot may take to warm up.").default("5m"),
    interval: durationField("Pause between requests.").default("2s"),
    requestTimeout: durationField("Timeout of one request (cold starts can be slow).").default("30s"),
    url: z
      .string()
      .url()
      .optional()
      .describe("Request this URL instead of https://<slot hostname><path> (a custom domain bound to the slot)."),
  })
  .strict();

export const azureWarmup = defineAction({
  kind: "azure.warmup",
  summary: "Request a path on an App Service slot's own hostname until it answers with an expected status.",
  description: "Fails at once if the slot is stopped. Outputs `url`, `status`, `attempts`. Nothing to undo.",
  with: AzureWarmupWith,
  idempotent: true,
  undo: "none",
  provider: appserviceProvider,
  describe: (input) => `warm up ${slotLabel(input)} on ${input.path} (expect ${input.expectStatus.join("/")})`,

  async run(input, ctx): Promise<ActionResult> {
    const { client, app, slot } = await resolveSlot(ctx, input);
    const state = await client.getSlot(app, slot, ctx.signal);
    if (state.state.toLowerCase() === "stopped") {
      throw new ActionFailure(`${app}/${slot} is stopped; it cannot warm up`, {
        retryable: false,
        hint: "Start the slot first (azure.start-slot).",
      });
    }
    const url = input.url ?? `https://${state.defaultHostName}${input.path}`;
    const deadline = Date.now() + parseDuration(input.timeout);
    const interval = parseDuration(input.interval);
    let attempts = 0;
    let good = 0;
    let last = "no answer yet";
    while (true) {
      throwIfAborted(ctx.signal);
      attempts++;
      const a = await siteGet(url, client.options.tlsCa, parseDuration(input.requestTimeout), ctx.signal);
      throwIfAborted(ctx.signal);
      const ok =
        a.status !== undefined &&
        input.expectStatus.includes(a.status) &&
        (input.bodyContains === undefined || a.body.includes(input.bodyContains));
      if (ok) {
        good++;
        if (good >= input.successes) {
          ctx.log.info(`${app}/${slot} answered ${a.status} on ${input.path} after ${attempts} request(s)`);
          return { outputs: { url, status: a.status ?? 0, attempts } };
        }
      } else {
        good = 0;
        last = a.error ?? `HTTP ${a.status}: ${ctx.redact(a.body.slice(0, 200))}`;
        ctx.log.progress(`${app}/${slot}: ${last}`);
      }
      if (Date.now() + interval > deadline) {
        throw new ActionFailure(
          `${app}/${slot} did not warm up on ${input.path} within ` +
            `${formatDuration(parseDuration(input.timeout))} (last: ${last})`,
          {
            hint: "Look at the slot's logs (log stream / Kudu); a retry of the step waits again.",
          },
        );
      }
      await sleep(interval, ctx.signal);
    }
  },
});
