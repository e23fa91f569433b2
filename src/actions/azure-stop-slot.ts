/** `azure.stop-slot`: stop an App Service slot, e.g. the old version after a release (see azure-slot-power.ts). */
import { defineSlotStateAction } from "./azure-slot-power.js";

export const azureStopSlot = defineSlotStateAction("stop");
