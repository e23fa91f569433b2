/** `cutover abort` after each of the last four steps of the demo release (see abort-each-step.ts). */
import { abortAtEachStep } from "./abort-each-step.js";

abortAtEachStep(["migrate", "swap", "maintenance-off", "stop-old"]);
