/** `azure.start-slot`: start an App Service slot (see azure-slot-power.ts). */
import { defineSlotStateAction } from "./azure-slot-power.js";

export const azureStartSlot = defineSlotStateAction("start");
