/**
 * `azure.restart-slot`: restart an App Service slot. A restart cannot be
 * observed afterwards, so a step interrupted mid-restart follows its
 * `resume:` policy (restarting twice is usually harmless: `resume: rerun`).
 */
import { defineAction, type ActionResult } from "../core/action.js";
import { resolveSlot, slotLabel, appserviceProvider } from "./azure-common.js";
import { slotPowerWith } from "./azure-slot-power.js";

export const azureRestartSlot = defineAction({
  kind: "azure.restart-slot",
  summary: "Restart an App Service slot.",
  description: "Not idempotent (a restart leaves no trace to observe); nothing to undo.",
  with: slotPowerWith,
  idempotent: false,
  undo: "none",
  provider: appserviceProvider,
  describe: (input) => `restart ${slotLabel(input)}`,

  async run(input, ctx): Promise<ActionResult> {
    const { client, app, slot } = await resolveSlot(ctx, input);
    await client.power(app, slot, "restart", ctx.signal);
    ctx.log.info(`${app}/${slot} restarted`);
    return { outputs: { app, slot } };
  },
});
