/**
 * `azure.containerapp-deploy`: create a new revision of a Container App
 * (multiple revision mode) running the new image, with 0 % of the traffic and
 * a label (`green`), in one update that also pins any `latestRevision` traffic
 * to the revision serving now, so nothing moves until `traffic.shift` says so.
 * Warm it through its own host name (output `revisionUrl`) with http.check.
 *
 * Resumable: the revision's name is `<app>--<revisionSuffix>`, so a re-run
 * finds the revision it created instead of making another. Undo puts the
 * traffic array (weights and labels) back as it was and deactivates the
 * revision.
 */
import { z } from "zod";
import { defineAction, type ActionResult } from "../core/action.js";
import { ContainerApps } from "../providers/azure/containerapps-provider.js";

const DEFAULT_TARGET = "app";

const Traffic = z.array(
  z.object({
    revisionName: z.string().optional(),
    weight: z.number().optional(),
    label: z.string().optional(),
  }),
);

const ContainerAppDeployWith = z
  .object({
    target: z
      .string()
      .min(1)
      .optional()
      .describe("The environment entry of the app (`provider: azure-containerapps`). Default: `app`."),
    app: z.string().min(1).optional().describe("The container app (default: the entry's `app`)."),
    image: z.string().min(1).describe("The image the new revision runs, e.g. myregistry.azurecr.io/shop:2.0.0."),
    container: z.string().min(1).optional().describe("The container to change (default: the template's first)."),
    revisionSuffix: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, "lower-case letters, digits and hyphens")
      .describe(
        "The new revision is `<app>--<revisionSuffix>`; one suffix per release (e.g. the version, `v2-0-0`), so a " +
          "resumed step finds its revision.",
      ),
    label: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,62}$/, "lower-case letters, digits and hyphens, starting with a letter")
      .default("green")
      .describe("The label the new revision gets (its own URL `<app>---<label>.<domain>`; traffic.shift `to:`)."),
    env: z
      .record(z.string(), z.string())
      .optional()
      .describe("Environment values for the new revision's container (added or replaced; not secrets)."),
  })
  .strict();

export const azureContainerAppDeploy = defineAction({
  kind: "azure.containerapp-deploy",
  summary:
    "Create a Container Apps revision with the new image at 0 % traffic, under a label, and wait until provisioned.",
  description:
    "Outputs `revision`, `revisionUrl` (https://<revision fqdn>), `appUrl`, `labelUrl` (when the app's host name " +
    "has the usual form). Undo restores the traffic array as it was and deactivates the revision.",
  with: ContainerAppDeployWith,
  idempotent: true,
  undo: "recorded",
  undoIncomplete: true,
  provider: { capability: ContainerApps, defaultTarget: DEFAULT_TARGET },
  records: z.object({ app: z.string(), revision: z.string(), previousTraffic: Traffic }),
  checkpoints: z.object({ app: z.string(), revision: z.string(), previousTraffic: Traffic }),
  describe: (input) =>
    `create revision ${input.app ?? "<app>"}--${input.revisionSuffix} running ${input.image} at 0 % with label ` +
    `${input.label}`,

  async run(input, ctx): Promise<ActionResult> {
    const client = await ctx.provider(input.target ?? DEFAULT_TARGET, ContainerApps);
    const app = client.appName(input.app);
    const revision = `${app}--${input.revisionSuffix}`;
    // The traffic before the first attempt's update, so a resumed attempt does not record its own result as "before".
    let previousTraffic = ctx.priorCheckpoint?.previousTraffic;
    if (!previousTraffic) {
      previousTraffic = client.pinned(await client.getApp(app, ctx.signal));
      await ctx.checkpoint({ app, revision, previousTraffic: JSON.parse(JSON.stringify(previousTraffic)) });
    }
    await ctx.fence?.assertHeld();
    const out = await client.deployRevision(
      app,
      {
        image: input.image,
        container: input.container,
        suffix: input.revisionSuffix,
        label: input.label,
        env: input.env,
      },
      ctx.signal,
    );
    ctx.log.info(
      `${out.revisionName} ${out.changed ? "created" : "already there"}: ${input.image}, label ${input.label}, 0 % traffic`,
    );
    const url = (fqdn: string | undefined) => (fqdn ? `https://${fqdn}` : "");
    return {
      outputs: {
        revision: out.revisionName,
        revisionUrl: url(out.fqdn),
        appUrl: url(out.appFqdn),
        labelUrl: url(out.labelFqdn),
        changed: out.changed,
      },
      recorded: { app, revision, previousTraffic: JSON.parse(JSON.stringify(previousTraffic)) },
    };
  },

  async undoRun(input, ctx) {
    const saved = ctx.recorded ?? ctx.lastCheckpoint;
    if (!saved) return;
    const client = await ctx.provider(input.target ?? DEFAULT_TARGET, ContainerApps);
    await ctx.fence?.assertHeld();
    ctx.log.info(`restoring the traffic of ${saved.app} and deactivating ${saved.revision}`);
    await client.restoreTraffic(saved.app, saved.previousTraffic, ctx.signal);
    await client.deactivate(saved.app, saved.revision, ctx.signal);
  },
});
