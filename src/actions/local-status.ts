/**
 * `local.status`: where the local environment answers and what runs in it,
 * as outputs for later steps: the public URL, the live and idle slots, and
 * each slot's version, state and own address. Starts the environment first if
 * it is not running (from the playbook's `baseline`, as `local.deploy`
 * does), and changes nothing else.
 *
 * It lets a step use the public URL without waiting for a `local.deploy` to
 * finish (a check that the live version still serves can run while the new
 * one starts in the idle slot). Read-only: idempotent, nothing to undo; a
 * resumed step reads the environment again.
 */
import { z } from "zod";
import { SLOT_NAMES, otherSlot, type LocalStatus, type SlotName } from "../core/slots.js";
import { defineAction, type ActionResult } from "../core/action.js";
import type { Json } from "../core/json.js";
import { localSlots, slotsProvider, localTargetField } from "./local-common.js";

const LocalStatusWith = z.object({ target: localTargetField }).strict();

/** One slot as the outputs show it: the fields of `cutover local status` a later step may need. */
function slotOutputs(status: LocalStatus, slot: SlotName): Json {
  const s = status.slots[slot];
  return {
    version: s.version ?? null,
    running: s.running,
    health: s.health,
    url: s.url,
    port: s.port,
  };
}

export const localStatus = defineAction({
  kind: "local.status",
  summary: "Read where the local environment answers and what each slot runs (starting it if it is down).",
  description:
    "Starts the local environment from the playbook's `baseline` if it is not running, as `local.deploy` does, and " +
    "changes nothing else. Outputs `publicUrl`, `live` (the slot serving), `idle` (the other one), `dir`, `canary` " +
    "(`{ slot, percent }` while traffic.shift splits the traffic, else null) and `slots.blue` / `slots.green`, each " +
    "with `version` (the slot's deployment, null if it never had one), `running`, `health`, `url` (the slot's own " +
    "address) and `port`. Nothing to undo.",
  with: LocalStatusWith,
  idempotent: true,
  undo: "none",
  provider: slotsProvider,
  describe: (input) => `read the public URL and the slots of ${input.target ?? "app"} (starting it if it is down)`,

  async run(input, ctx): Promise<ActionResult> {
    const client = await localSlots(ctx, input.target);
    const status = await client.ensureUp(ctx.signal);
    const live = status.live;
    const slots = Object.fromEntries(SLOT_NAMES.map((slot) => [slot, slotOutputs(status, slot)]));
    ctx.log.info(
      `${status.publicUrl}: ${live} is live (${status.slots[live].version ?? "nothing deployed"}), ` +
        `${otherSlot(live)} ${status.slots[otherSlot(live)].running ? `runs ${status.slots[otherSlot(live)].version}` : "is stopped"}`,
    );
    return {
      outputs: {
        publicUrl: status.publicUrl,
        live,
        idle: otherSlot(live),
        dir: client.dir,
        canary: status.canary ? { slot: status.canary.slot, percent: status.canary.percent } : null,
        slots,
      },
    };
  },
});
