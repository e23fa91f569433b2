/**
 * `azure.deploy`: put a build into an App Service deployment slot, either as
 * a package URL (the `WEBSITE_RUN_FROM_PACKAGE` app setting) or as a
 * container image (`linuxFxVersion`), plus any app settings to change.
 *
 * App settings are replaced as a whole by ARM (PUT), so this reads them,
 * changes only the named ones and writes the full set back, keeping the
 * rest. It observes first: a slot that already holds the wanted values is
 * left alone, so a resumed step converges without another restart.
 *
 * Recorded for undo: the previous value of every setting it changed and the
 * previous image, checkpointed before the first write: a step resumed after a
 * crash between its write and its success finds the slot already changed and
 * takes the originals from the checkpoint, and abort of a step that never
 * resumed undoes from it too. Values that look secret (a SAS URL, a name with KEY,
 * SECRET, PASSWORD..., or a known secret) are NOT journaled: they are
 * recorded as a fingerprint, and undo cannot restore them (it says so).
 */
import { z } from "zod";
import type { Json } from "../core/json.js";
import { defineAction, type ActionResult } from "../core/action.js";
import {
  appField,
  appserviceTargetField,
  isWithheld,
  journalValue,
  resolveSlot,
  slotField,
  type Withheld,
  slotLabel,
  appserviceProvider,
} from "./azure-common.js";
import { recordOrCheckpoint } from "./support/undo-source.js";

const PACKAGE_SETTING = "WEBSITE_RUN_FROM_PACKAGE";

const AzureDeployWith = z
  .object({
    target: appserviceTargetField,
    app: appField,
    slot: slotField,
    package: z
      .string()
      .url()
      .optional()
      .describe(
        "URL of the zip package to run (sets WEBSITE_RUN_FROM_PACKAGE; the slot restarts). A SAS URL should come " +
          "from `${{ secrets.X }}`.",
      ),
    image: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Container image, e.g. myacr.azurecr.io/shop:42 (sets linuxFxVersion to DOCKER|<image>; a value already " +
          "starting with DOCKER| or COMPOSE| is used as is).",
      ),
    settings: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .default({})
      .describe("App settings to set on the slot (others are kept). Numbers and booleans are written as text."),
    removeSettings: z.array(z.string()).default([]).describe("App settings to remove from the slot."),
  })
  .strict()
  .refine(
    (w) =>
      w.package !== undefined ||
      w.image !== undefined ||
      Object.keys(w.settings).length > 0 ||
      w.removeSettings.length > 0,
    {
      message: "give at least one of package, image, settings or removeSettings",
    },
  );

type Previous = Record<string, string | null | Withheld>;
const Recorded = z.object({
  app: z.string(),
  slot: z.string(),
  settings: z.record(
    z.string(),
    z.union([z.string(), z.null(), z.object({ withheld: z.literal(true), sha256: z.string() })]),
  ),
  image: z.string().nullable(),
});

function imageToLinuxFx(image: string): string {
  return /^(DOCKER|COMPOSE|KUBE|SITECONTAINERS)\|/i.test(image) || image === "SITECONTAINERS"
    ? image
    : `DOCKER|${image}`;
}

export const azureDeploy = defineAction({
  kind: "azure.deploy",
  summary:
    "Deploy a package URL or container image (and app settings) to an App Service slot, keeping its other settings.",
  description:
    "Reads the slot's app settings, changes only those named (`package` is WEBSITE_RUN_FROM_PACKAGE), and writes the " +
    "whole set back; sets linuxFxVersion for `image`. Does nothing when the slot already holds these values. Undo " +
    "restores the previous values it recorded (secret-looking " +
    "values are not journaled and are left for a person to restore).",
  with: AzureDeployWith,
  idempotent: true,
  undo: "recorded",
  undoIncomplete: true,
  provider: appserviceProvider,
  describe: (input) =>
    `deploy ${input.image ? `image ${input.image}` : input.package ? "a package" : "app settings"} to ` +
    `${slotLabel(input)}`,

  async run(input, ctx): Promise<ActionResult> {
    const { client, app, slot } = await resolveSlot(ctx, input);
    const want: Record<string, string> = Object.fromEntries(
      Object.entries(input.settings).map(([k, v]) => [k, String(v)]),
    );
    if (input.package) want[PACKAGE_SETTING] = input.package;

    const current = await client.listAppSettings(app, slot, ctx.signal);
    const toSet = Object.keys(want).filter((k) => current[k] !== want[k]);
    const toRemove = input.removeSettings.filter((k) => k in current);
    const fx = input.image ? imageToLinuxFx(input.image) : undefined;
    const currentFx = fx !== undefined ? await client.getLinuxFxVersion(app, slot, ctx.signal) : undefined;
    const imageChanges = fx !== undefined && currentFx !== fx;

    // An earlier attempt of this step may have written already: its checkpoint holds the true originals.
    const prior = Recorded.safeParse(ctx.priorCheckpoint);
    const earlier = prior.success && prior.data.app === app && prior.data.slot === slot ? prior.data : undefined;
    const previous: Previous = { ...(earlier?.settings ?? {}) };
    for (const k of [...toSet, ...toRemove])
      if (!(k in previous)) previous[k] = journalValue(k, current[k] ?? null, ctx.redact);
    const image = earlier?.image ?? (imageChanges ? (currentFx ?? "") : null);
    const changedNames = [...toSet, ...toRemove].sort();
    const record = { app, slot, settings: previous, image } as Json;

    if (changedNames.length > 0 || imageChanges) await ctx.checkpoint(record);
    if (changedNames.length > 0) {
      const next = { ...current };
      for (const k of toSet) next[k] = want[k] as string;
      for (const k of toRemove) delete next[k];
      await client.replaceAppSettings(app, slot, next, ctx.signal);
      ctx.log.info(
        `${app}/${slot}: set ${toSet.join(", ") || "-"}; removed ${toRemove.join(", ") || "-"} (the slot restarts)`,
      );
    }
    if (imageChanges && fx !== undefined) {
      await client.setLinuxFxVersion(app, slot, fx, ctx.signal);
      ctx.log.info(`${app}/${slot}: image ${ctx.redact(fx)}`);
    }
    if (changedNames.length === 0 && !imageChanges) ctx.log.info(`${app}/${slot} already holds these values`);

    return {
      outputs: {
        app,
        slot,
        changed: Object.keys(previous).length > 0 || image !== null,
        changedSettings: Object.keys(previous).sort(),
      },
      recorded: record,
      effect:
        changedNames.length || imageChanges
          ? `${app}/${slot}: ${[imageChanges ? "image" : "", ...changedNames].filter(Boolean).join(", ")} changed`
          : `${app}/${slot} already held these values: nothing changed`,
    };
  },

  async undoRun(input, ctx) {
    // Interrupted: the checkpoint written before its first write (none: it wrote nothing).
    const source = recordOrCheckpoint(ctx);
    if (source === undefined) return;
    const rec = Recorded.parse(source);
    const { client } = await resolveSlot(ctx, input);
    const names = Object.keys(rec.settings);
    if (names.length > 0) {
      const current = await client.listAppSettings(rec.app, rec.slot, ctx.signal);
      const next = { ...current };
      const manual: string[] = [];
      for (const [k, v] of Object.entries(rec.settings)) {
        if (isWithheld(v)) manual.push(k);
        else if (v === null) delete next[k];
        else next[k] = v;
      }
      if (names.some((k) => next[k] !== current[k]))
        await client.replaceAppSettings(rec.app, rec.slot, next, ctx.signal);
      if (manual.length > 0) {
        ctx.log.warn(
          `${rec.app}/${rec.slot}: ${manual.join(", ")} held secret values, which are not journaled; restore ` +
            `them by hand if needed`,
        );
      }
    }
    if (rec.image !== null) {
      const fx = await client.getLinuxFxVersion(rec.app, rec.slot, ctx.signal);
      if (fx !== rec.image) await client.setLinuxFxVersion(rec.app, rec.slot, rec.image, ctx.signal);
    }
    ctx.log.info(`${rec.app}/${rec.slot}: previous settings restored`);
  },
});
