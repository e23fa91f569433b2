/**
 * `azure.monitor-gate`: a health gate on Azure Monitor logs (Application
 * Insights in a Log Analytics workspace). Runs a KQL query whose first column
 * of the first row is a number, and passes when it is below (or above) a
 * threshold; or, with `failureRate`, computes the share of failed requests
 * itself. Used on its own as a verification step, or as the bake check of
 * `traffic.shift`.
 *
 * Read-only: idempotent, nothing to undo.
 */
import { z } from "zod";
import { formatDuration, parseDuration } from "../playbook/duration.js";
import { ActionFailure, defineAction, type ActionContext } from "../core/action.js";
import { MonitorLogs } from "../providers/azure/monitor-provider.js";
import { durationField } from "./support/schemas.js";

const DEFAULT_TARGET = "monitor";

const FailureRate = z
  .object({
    table: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a table name")
      .default("AppRequests")
      .describe("The requests table: `AppRequests` (workspace-based Application Insights)."),
    where: z
      .string()
      .optional()
      .describe("A KQL predicate narrowing the requests, e.g. `AppRoleName == 'shop-api'`, or a revision's name."),
    minRequests: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe("Fewer requests than this in the window fail the gate (no traffic proves nothing)."),
  })
  .strict()
  .describe("Percent of failed requests (`Success == false`) in the window, computed by cutover's own query.");

export const MonitorGateWith = z
  .object({
    target: z
      .string()
      .min(1)
      .optional()
      .describe("The environment entry of the workspace (`provider: azure-monitor-logs`). Default: `monitor`."),
    query: z
      .string()
      .min(1)
      .optional()
      .describe("KQL returning one number in the first column of the first row (e.g. `... | summarize count()`)."),
    failureRate: FailureRate.optional(),
    window: durationField("The time range the query covers, ending now.").default("15m"),
    below: z.number().optional().describe("Pass when the number is below this."),
    above: z.number().optional().describe("Pass when the number is above this."),
    noData: z
      .enum(["fail", "pass"])
      .default("fail")
      .describe("When the query returns no row or no number: fail (default) or pass."),
  })
  .strict()
  .refine((w) => (w.query === undefined) !== (w.failureRate === undefined), {
    message: "set exactly one of query and failureRate",
  })
  .refine((w) => w.failureRate !== undefined || w.below !== undefined || w.above !== undefined, {
    message: "set below and/or above (failureRate defaults to below: 5)",
  });
export type MonitorGateInput = z.infer<typeof MonitorGateWith>;

export const azureMonitorGate = defineAction({
  kind: "azure.monitor-gate",
  summary: "Pass when a KQL query over Azure Monitor logs (or the requests' failure rate) is within a threshold.",
  description:
    "The query's first column of the first row is compared with `below`/`above`; `failureRate` computes the " +
    "percent of failed requests (default threshold: below 5). Outputs `value`, `rows`. Read-only.",
  with: MonitorGateWith,
  idempotent: true,
  undo: "none",
  provider: { capability: MonitorLogs, defaultTarget: DEFAULT_TARGET },
  describe: (input) => `check ${describeGate(input)} in ${input.target ?? DEFAULT_TARGET}`,

  async run(input, ctx) {
    const value = await monitorGate(input, ctx);
    return { outputs: { value } };
  },
});

/** The KQL of a failure-rate gate: percent of failed requests, and the count (too few requests fail the gate). */
function failureRateQuery(f: z.infer<typeof FailureRate>): string {
  return [
    f.table,
    ...(f.where ? [`| where ${f.where}`] : []),
    "| summarize total = count(), failed = countif(Success == false)",
    "| project rate = iff(total == 0, real(0), 100.0 * failed / total), total",
  ].join("\n");
}

function bounds(input: MonitorGateInput): { below?: number; above?: number } {
  if (input.failureRate && input.below === undefined && input.above === undefined) return { below: 5 };
  return { below: input.below, above: input.above };
}

function describeGate(input: MonitorGateInput): string {
  const b = bounds(input);
  const what = input.failureRate ? `failure rate % of ${input.failureRate.table}` : "the query's value";
  const limits = [b.below !== undefined ? `< ${b.below}` : "", b.above !== undefined ? `> ${b.above}` : ""]
    .filter(Boolean)
    .join(" and ");
  return `${what} ${limits} over ${formatDuration(parseDuration(input.window))}`;
}

/** Run the gate once: the number seen, or an ActionFailure saying why it does not pass. */
export async function monitorGate(input: MonitorGateInput, ctx: Pick<ActionContext, "provider" | "signal" | "log">) {
  const client = await ctx.provider(input.target ?? DEFAULT_TARGET, MonitorLogs);
  const query = input.failureRate ? failureRateQuery(input.failureRate) : (input.query ?? "");
  const result = await client.queryNumber(query, parseDuration(input.window), ctx.signal);
  const gate = describeGate(input);
  if (result.value === null) {
    if (input.noData === "pass") {
      ctx.log.info(`${gate}: no data, passing (noData: pass)`);
      return null;
    }
    throw new ActionFailure(`${gate}: the query returned no number (${result.rows} row(s))`, {
      hint: "check the query in the workspace's Logs blade; set `noData: pass` if an empty window is fine",
    });
  }
  const value = result.value;
  if (input.failureRate && input.failureRate.minRequests > 0) {
    const total = result.numbers.total ?? 0;
    if (total < input.failureRate.minRequests)
      throw new ActionFailure(`${gate}: only ${total} request(s), fewer than ${input.failureRate.minRequests}`);
  }
  const b = bounds(input);
  if ((b.below !== undefined && !(value < b.below)) || (b.above !== undefined && !(value > b.above)))
    throw new ActionFailure(`${gate}: got ${value}`, { details: { value } });
  ctx.log.info(`${gate}: ${value}`);
  return value;
}
