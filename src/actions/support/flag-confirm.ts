/**
 * `flag.set`'s `confirm`: a flag written to the store is not yet a flag the
 * running apps act on. Apps reading App Configuration through
 * @azure/app-configuration-provider see a change only when they call
 * `refresh()` after their refresh interval has passed (30 s by default; docs/azure.md
 * "Apps that see the flag"), so a drain started right after `maintenance-on`
 * could still race writes on the old version. `confirm` holds the step until
 * the apps see the flag:
 *
 * - `urls` + `bodyContains`: poll each app's endpoint (one per slot or
 *   instance group) until every one answers 2xx with the text, e.g. a
 *   `/health/flags` that prints the flags the app currently holds;
 * - `wait`: no endpoint to ask, so wait the apps' declared refresh interval
 *   plus a margin; the output says it was a wait, not an observation.
 */
import { z } from "zod";
import { formatDuration, parseDuration } from "../../core/duration.js";
import { ActionFailure, type ActionContext } from "../../core/action.js";
import { durationField } from "./schemas.js";
import { sleep, throwIfAborted } from "./abort.js";
import { checkUrl, httpRequest } from "./http-request.js";

const ConfirmByEndpoint = z
  .object({
    urls: z
      .array(z.string().min(1))
      .min(1)
      .describe("Endpoints that report the flag as each app sees it, e.g. every slot's /health/flags."),
    bodyContains: z
      .string()
      .min(1)
      .describe('Text each answer must contain once the app sees the value, e.g. `"MaintenanceMode":true`.'),
    timeout: durationField("How long the apps may take to see the flag (their refresh interval, plus margin).").default(
      "2m",
    ),
    interval: durationField("Pause between rounds of requests.").default("1s"),
    requestTimeout: durationField("Timeout of one request.").default("10s"),
  })
  .strict();

const ConfirmByWaiting = z
  .object({
    wait: durationField(
      "Wait this long instead (no endpoint reports the flag): the apps' refresh interval (refreshIntervalInMs) plus " +
        "the period of their refresh timer plus a margin.",
    ),
  })
  .strict();

export const FlagConfirm = z
  .union([ConfirmByEndpoint, ConfirmByWaiting])
  .describe(
    "Hold the step until the running apps see the new value: `{ urls, bodyContains, timeout }` polls each app's " +
      "endpoint until all report it; `{ wait }` waits the apps' refresh interval plus margin. Not applied on undo.",
  );
export type FlagConfirm = z.infer<typeof FlagConfirm>;

/** The step's `confirmed` output: observed on `endpoints` endpoints after `ms`, or waited `ms` (endpoints 0). */
// A type alias, not an interface: outputs must be assignable to Json.
export type Confirmation = { how: "observed" | "waited"; ms: number; endpoints: number };

type Ctx = Pick<ActionContext, "signal" | "log" | "redact">;

export async function confirmFlag(confirm: FlagConfirm, flag: string, ctx: Ctx): Promise<Confirmation> {
  const started = Date.now();
  if ("wait" in confirm) {
    const ms = parseDuration(confirm.wait);
    ctx.log.info(`waiting ${formatDuration(ms)} for the apps to refresh ${flag} (not observed: confirm.wait)`);
    await sleep(ms, ctx.signal);
    return { how: "waited", ms, endpoints: 0 };
  }
  for (const url of confirm.urls) checkUrl(url, ctx.redact);
  const deadline = started + parseDuration(confirm.timeout);
  const pending = new Set(confirm.urls);
  const last = new Map<string, string>();
  for (;;) {
    for (const url of [...pending]) {
      const res = await httpRequest({
        url,
        method: "GET",
        timeoutMs: parseDuration(confirm.requestTimeout),
        signal: ctx.signal,
      });
      if (res.ok && res.status >= 200 && res.status < 300 && res.text.includes(confirm.bodyContains)) {
        pending.delete(url);
        ctx.log.info(`${ctx.redact(url)} sees ${flag} after ${formatDuration(Date.now() - started)}`);
      } else {
        last.set(url, res.ok ? `HTTP ${res.status}, without the expected text` : res.error);
      }
    }
    if (pending.size === 0) return { how: "observed", ms: Date.now() - started, endpoints: confirm.urls.length };
    if (Date.now() >= deadline) {
      const still = [...pending].map((u) => `${ctx.redact(u)} (${last.get(u) ?? "no answer"})`);
      throw new ActionFailure(
        `the apps did not see ${flag} within ${formatDuration(parseDuration(confirm.timeout))}: ${still.join("; ")}`,
        {
          retryable: true,
          hint:
            "Check that the apps refresh their configuration (refresh enabled, refresh() called on a timer or per " +
            "request; docs/azure.md) and that the endpoint reports the flag; or raise confirm.timeout.",
        },
      );
    }
    throwIfAborted(ctx.signal);
    await sleep(Math.min(parseDuration(confirm.interval), Math.max(0, deadline - Date.now())), ctx.signal);
  }
}
