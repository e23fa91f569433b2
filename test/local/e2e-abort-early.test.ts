/** `cutover abort` after each of the first four steps of the demo release (see abort-each-step.ts). */
import { abortAtEachStep } from "./abort-each-step.js";

abortAtEachStep(["deploy", "warm-up", "maintenance-on", "drain-old"]);
