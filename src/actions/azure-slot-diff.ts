/**
 * `azure.slot-diff`: before a swap, compare the two slots' app settings and
 * connection strings the way the swap will treat them. Sticky (slot)
 * settings stay with their slot; every other difference MOVES into the
 * target (production) with the swap. A moving difference the playbook did
 * not `accept` is a surprise and blocks the release, as are names that must
 * be sticky but are not (the drift behind "auto swap overwrote
 * ASPNETCORE_ENVIRONMENT").
 *
 * Some app settings App Service never swaps even though they are not
 * marked as slot settings ("Which settings are swapped?" in
 * https://learn.microsoft.com/azure/app-service/deploy-staging-slots):
 * names ending in `_EXTENSION_VERSION`, the app settings behind diagnostic
 * log settings (`DIAGNOSTICS_*`, `WEBSITE_HTTPLOGGING_*`; the same page says
 * "related app settings like WEBSITE_HTTPLOGGING_RETENTION_DAYS and
 * DIAGNOSTICS_AZUREBLOBRETENTIONDAYS are also not swapped", quoted in
 * microsoft/vscode-azureappservice#1742) unless every slot sets
 * WEBSITE_OVERRIDE_PRESERVE_DEFAULT_STICKY_SLOT_SETTINGS to 0/false, and
 * settings Service Connector created (nothing in the site's settings marks
 * those, so the playbook lists them in `notSwapped`). They are reported as
 * "not swapped by App Service", never as moving.
 *
 * Only names are reported, never values: settings hold secrets.
 */
import { z } from "zod";
import { ActionFailure, defineAction, type ActionResult } from "../core/action.js";
import {
  appField,
  appserviceTargetField,
  resolveSlot,
  slotField,
  targetSlotField,
  slotLabel,
  appserviceProvider,
} from "./azure-common.js";

const AzureSlotDiffWith = z
  .object({
    target: appserviceTargetField,
    app: appField,
    slot: slotField,
    targetSlot: targetSlotField,
    accept: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Names (or patterns with *) of moving settings expected to differ, e.g. [WEBSITE_RUN_FROM_PACKAGE, " +
          "APP_VERSION]. Connection strings as `connectionString:<name>`, the container image as `linuxFxVersion`.",
      ),
    requireSticky: z
      .array(z.string().min(1))
      .default([])
      .describe("Setting names that must be slot settings (sticky), e.g. [ASPNETCORE_ENVIRONMENT, DEPLOY_SLOT]."),
    requireMoving: z
      .array(z.string().min(1))
      .default(["WEBSITE_RUN_FROM_PACKAGE"])
      .describe("Setting names that must NOT be slot settings: the build itself has to move with the swap."),
    notSwapped: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Further names (or patterns with *) App Service keeps per slot although they are not slot settings: the " +
          "settings Service Connector created (e.g. AZURE_POSTGRESQL_*). `*_EXTENSION_VERSION` and diagnostic log " +
          "settings are known without listing them.",
      ),
    failOnSurprise: z
      .boolean()
      .default(true)
      .describe("Fail the step on a surprise (false: report only, as a warning)."),
  })
  .strict();

export interface SettingDifference {
  name: string;
  /**
   * added: only in the source (appears in the target); removed: only
   * in the target (disappears from it); changed: both, different.
   */
  change: "added" | "removed" | "changed";
}

function matches(name: string, patterns: string[]): boolean {
  return patterns.some((p) =>
    new RegExp(
      "^" +
        p
          .split("*")
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
          .join(".*") +
        "$",
      "i",
    ).test(name),
  );
}

const OVERRIDE = "WEBSITE_OVERRIDE_PRESERVE_DEFAULT_STICKY_SLOT_SETTINGS";

/**
 * Why App Service keeps the app setting `name` in its slot although it is not
 * a slot setting, or undefined if it swaps. `legacy`: every slot sets the
 * override to 0/false, which makes diagnostic log settings swap again (the
 * settings marked * on the docs page); `_EXTENSION_VERSION` never swaps.
 */
function notSwappedReason(name: string, listed: string[], legacy: boolean): string | undefined {
  if (/_EXTENSION_VERSION$/i.test(name)) return "ends in _EXTENSION_VERSION";
  if (!legacy && /^(DIAGNOSTICS_|WEBSITE_HTTPLOGGING_)/i.test(name)) return "diagnostic log setting";
  if (matches(name, listed)) return "listed in notSwapped";
  return undefined;
}

const overridden = (settings: Record<string, string>) => /^(0|false)$/i.test(settings[OVERRIDE]?.trim() ?? "");

/** Names whose values differ between the slots, with how they differ. */
function differences<T>(source: Record<string, T>, target: Record<string, T>, prefix = ""): SettingDifference[] {
  const same = (a: T | undefined, b: T | undefined) => JSON.stringify(a) === JSON.stringify(b);
  const names = [...new Set([...Object.keys(source), ...Object.keys(target)])].sort();
  const out: SettingDifference[] = [];
  for (const n of names) {
    if (same(source[n], target[n])) continue;
    out.push({ name: prefix + n, change: !(n in target) ? "added" : !(n in source) ? "removed" : "changed" });
  }
  return out;
}

export const azureSlotDiff = defineAction({
  kind: "azure.slot-diff",
  summary: "Compare two slots' settings as a swap will move them; block on differences the playbook did not accept.",
  description:
    "Outputs `moving` (names that will change in the target slot), `accepted`, `surprises`, `sticky`. Values are " +
    "never shown. Nothing to undo.",
  with: AzureSlotDiffWith,
  idempotent: true,
  undo: "none",
  provider: appserviceProvider,
  describe: (input) => `diff settings of ${slotLabel(input)} against ${input.targetSlot}`,

  async run(input, ctx): Promise<ActionResult> {
    const { client, app, slot } = await resolveSlot(ctx, input);
    const [sticky, srcSettings, tgtSettings, srcConn, tgtConn, srcFx, tgtFx] = await Promise.all([
      client.stickyNames(app, ctx.signal),
      client.listAppSettings(app, slot, ctx.signal),
      client.listAppSettings(app, input.targetSlot, ctx.signal),
      client.listConnectionStrings(app, slot, ctx.signal),
      client.listConnectionStrings(app, input.targetSlot, ctx.signal),
      client.getLinuxFxVersion(app, slot, ctx.signal),
      client.getLinuxFxVersion(app, input.targetSlot, ctx.signal),
    ]);
    const legacy = overridden(srcSettings) && overridden(tgtSettings);
    const notSwapped: string[] = [];
    const settingDiffs = differences(srcSettings, tgtSettings).filter((d) => {
      if (sticky.appSettingNames.includes(d.name)) return false;
      const reason = notSwappedReason(d.name, input.notSwapped, legacy);
      if (reason) notSwapped.push(`${d.name} (${d.change}; not swapped by App Service: ${reason})`);
      return !reason;
    });
    const moving = [
      ...settingDiffs,
      ...differences(srcConn, tgtConn)
        .filter((d) => !sticky.connectionStringNames.includes(d.name))
        .map((d) => ({
          ...d,
          name: `connectionString:${d.name}`,
        })),
      // The container image is site config: it always moves with the swap.
      ...(srcFx !== tgtFx ? [{ name: "linuxFxVersion", change: "changed" as const }] : []),
    ];
    const accepted = moving.filter((d) => matches(d.name, input.accept));
    const surprises: string[] = moving
      .filter((d) => !matches(d.name, input.accept))
      .map((d) => `${d.name} (${d.change}, moves into ${input.targetSlot})`);
    for (const name of input.requireSticky) {
      if (!sticky.appSettingNames.includes(name))
        surprises.push(`${name} (must be a slot setting but is not: it would move with the swap)`);
    }
    for (const name of input.requireMoving) {
      if (sticky.appSettingNames.includes(name))
        surprises.push(`${name} (is a slot setting: it would stay behind, and the swap would not move the build)`);
    }
    const stickyDiffering = sticky.appSettingNames.filter((n) => srcSettings[n] !== tgtSettings[n]).sort();
    const outputs = {
      moving: moving.map((d) => `${d.name} (${d.change})`),
      accepted: accepted.map((d) => d.name),
      surprises,
      sticky: stickyDiffering,
      notSwapped,
    };
    ctx.log.info(
      `${app}: ${slot}→${input.targetSlot}: ${moving.length} moving difference(s), ${accepted.length} accepted; ` +
        `${stickyDiffering.length} sticky setting(s) stay per slot` +
        (notSwapped.length ? `; not swapped by App Service: ${notSwapped.join(", ")}` : ""),
    );
    if (surprises.length > 0) {
      const message =
        `${app}: settings would change unexpectedly when swapping ${slot} into ${input.targetSlot}: ` +
        `${surprises.join("; ")}`;
      if (input.failOnSurprise) {
        throw new ActionFailure(message, {
          retryable: false,
          hint:
            "Fix the slot's settings, mark slot-specific ones as slot settings, or list expected differences under " +
            "`accept:`; then retry the step.",
          details: { surprises },
        });
      }
      ctx.log.warn(message);
    }
    return { outputs };
  },
});
