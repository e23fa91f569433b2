/**
 * `azure.deploy`: put a build into an App Service deployment slot, either as
 * a package URL (the `WEBSITE_RUN_FROM_PACKAGE` app setting, with a SAS or a
 * managed identity) or as a container image (`linuxFxVersion`), plus any app
 * settings to change; or, with `mode: onedeploy`, by uploading the package to
 * the slot's SCM site (azure-deploy-onedeploy.ts: Python and Java apps).
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
import { ActionFailure, defineAction, type ActionResult } from "../core/action.js";
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
import { DURATION_RANGES, parseDuration } from "../core/duration.js";
import { durationSchema } from "../core/duration-schema.js";
import { isOneDeployRecord, runOneDeploy, undoOneDeploy } from "./azure-deploy-onedeploy.js";
import { checkPackageSas } from "./azure-deploy-sas.js";

const PACKAGE_SETTING = "WEBSITE_RUN_FROM_PACKAGE";
/** "Run your app from a ZIP package", managed identity: the identity that fetches the blob. */
const PACKAGE_IDENTITY_SETTING = "WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID";
const ONEDEPLOY_TYPES = ["zip", "war", "jar", "ear", "static", "startup", "lib"] as const;

const AzureDeployWith = z
  .object({
    target: appserviceTargetField,
    app: appField,
    slot: slotField,
    mode: z
      .enum(["run-from-package", "onedeploy"])
      .default("run-from-package")
      .describe(
        "`run-from-package`: `package` is a URL set as WEBSITE_RUN_FROM_PACKAGE. `onedeploy`: `package` is a file " +
          "uploaded to the slot's SCM site (/api/publish), for Python and Java apps on Linux, which cannot run from " +
          "a package URL.",
      ),
    package: z
      .string()
      .min(1)
      .optional()
      .describe(
        "run-from-package: URL of the zip package to run (sets WEBSITE_RUN_FROM_PACKAGE; the slot restarts); a SAS " +
          "URL should come from `${{ secrets.X }}`. onedeploy: path of the zip, war, jar or ear to upload (relative " +
          "to the playbook).",
      ),
    packageIdentity: z
      .string()
      .min(1)
      .optional()
      .describe(
        "run-from-package: fetch the package with a managed identity instead of a SAS: the resource id of a " +
          "user-assigned identity, or `SystemAssigned` (sets WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID). The URL " +
          "then carries no SAS, so neither the slot nor a swap back depends on one expiring.",
      ),
    sasMustOutlive: durationSchema(
      "run-from-package: a package SAS must stay valid at least this long from the step's start (the rest of the " +
        "run, its bake and a possible swap back, plus a margin); an earlier `se=` is refused.",
      DURATION_RANGES.any,
    ).default("24h"),
    allowExpiringSas: z
      .boolean()
      .default(false)
      .describe("Deploy a package whose SAS expires within `sasMustOutlive` anyway (the slot stops working then)."),
    type: z
      .enum(ONEDEPLOY_TYPES)
      .optional()
      .describe(
        "onedeploy: the package type (`/api/publish?type=`); default from the extension: war, jar, ear, else zip.",
      ),
    targetPath: z
      .string()
      .min(1)
      .optional()
      .describe(
        "onedeploy: where on the site the artifact goes (`/api/publish?path=`), e.g. for `static` or `lib`; default " +
          "the type's usual place (wwwroot, or app.war/app.jar for Java).",
      ),
    previousPackage: z
      .string()
      .min(1)
      .optional()
      .describe(
        "onedeploy: the package of the release being replaced, published back by undo (the SCM site keeps no earlier " +
          "package to return to).",
      ),
    reversible: z
      .boolean()
      .optional()
      .describe(
        "onedeploy without `previousPackage`: must be `false`, acknowledging that abort leaves the new package.",
      ),
    deployTimeout: durationSchema(
      "onedeploy: how long to follow the deployment's status before failing the step.",
      DURATION_RANGES.timeout,
    ).default("30m"),
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
  .superRefine((w, issue) => {
    const problem = (field: string, message: string) => issue.addIssue({ code: "custom", path: [field], message });
    if (w.mode === "onedeploy") {
      if (w.package === undefined) problem("package", "onedeploy needs `package`: the file to upload");
      for (const f of ["image", "packageIdentity"] as const)
        if (w[f] !== undefined) problem(f, `${f} does not apply to mode onedeploy`);
      if (Object.keys(w.settings).length > 0 || w.removeSettings.length > 0)
        problem("settings", "mode onedeploy changes no app settings: set them in a separate azure.deploy step");
      if (w.previousPackage === undefined && w.reversible !== false)
        problem(
          "previousPackage",
          "give `previousPackage` (what undo publishes back) or `reversible: false` (abort leaves the new package)",
        );
      if (w.previousPackage !== undefined && w.reversible === false)
        problem("reversible", "`reversible: false` contradicts `previousPackage`");
      return;
    }
    for (const f of ["type", "targetPath", "previousPackage", "reversible"] as const)
      if (w[f] !== undefined) problem(f, `${f} applies to mode onedeploy only`);
    // `${{ }}` is resolved at run time: only a literal value can be checked here.
    const literal = w.package !== undefined && !w.package.includes("${{");
    if (literal && !/^https?:\/\/[^\s]+$/i.test(w.package ?? ""))
      problem("package", "run-from-package needs a URL (or use mode: onedeploy to upload a file)");
    if (w.packageIdentity !== undefined && w.package === undefined)
      problem("packageIdentity", "packageIdentity needs `package`: the blob URL the identity fetches");
    if (w.packageIdentity !== undefined && literal && /[?&]sig=/i.test(w.package ?? ""))
      problem("package", "with packageIdentity the URL carries no SAS (drop its query string)");
    if (
      w.package === undefined &&
      w.image === undefined &&
      Object.keys(w.settings).length === 0 &&
      w.removeSettings.length === 0
    )
      problem("package", "give at least one of package, image, settings or removeSettings");
  });

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
    "Deploy a package URL (SAS or managed identity), a container image or app settings to an App Service slot, or " +
    "upload a package with OneDeploy (Python, Java).",
  description:
    "Reads the slot's app settings, changes only those named (`package` is WEBSITE_RUN_FROM_PACKAGE), and writes the " +
    "whole set back; sets linuxFxVersion for `image`. Does nothing when the slot already holds these values. Undo " +
    "restores the previous values it recorded (secret-looking " +
    "values are not journaled and are left for a person to restore). `mode: onedeploy` posts the file to the " +
    "slot's SCM site (/api/publish), follows the deployment's status, never posts twice for one step, and undo " +
    "publishes `previousPackage` back.",
  with: AzureDeployWith,
  idempotent: true,
  undo: "recorded",
  // OneDeploy without a package to publish back cannot be undone (the step says `reversible: false`).
  undoFor: (input) => (input.mode === "onedeploy" && input.previousPackage === undefined ? "irreversible" : "recorded"),
  undoIncomplete: true,
  provider: appserviceProvider,
  describe: (input) =>
    input.mode === "onedeploy"
      ? `OneDeploy ${input.package ?? "a package"} to ${slotLabel(input)}`
      : `deploy ${input.image ? `image ${input.image}` : input.package ? "a package" : "app settings"} to ` +
        `${slotLabel(input)}`,

  async run(input, ctx): Promise<ActionResult> {
    if (input.mode === "onedeploy") return runOneDeploy(input, ctx);
    const { client, app, slot } = await resolveSlot(ctx, input);
    const want: Record<string, string> = Object.fromEntries(
      Object.entries(input.settings).map(([k, v]) => [k, String(v)]),
    );
    if (input.package) {
      if (!/^https?:\/\//i.test(input.package))
        throw new ActionFailure("package: run-from-package needs a URL", { retryable: false });
      // Checked before any change: a SAS that expires too soon is refused, a managed identity needs none.
      checkPackageSas(input.package, parseDuration(input.sasMustOutlive), input.allowExpiringSas, ctx.log);
      want[PACKAGE_SETTING] = input.package;
      if (input.packageIdentity) want[PACKAGE_IDENTITY_SETTING] = input.packageIdentity;
    }

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
    if (input.mode === "onedeploy" || isOneDeployRecord(ctx.recorded)) return undoOneDeploy(input, ctx);
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
