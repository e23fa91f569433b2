// CQRS demo V3, worker role (command processor): as V2's. Deployed paused
// (PROCESSOR_START_PAUSED=true) until the release hands the commands over to it.
import { workerRole } from "../lib/handler.js";
import { appendEvent } from "../lib/events.js";
await workerRole("v3", appendEvent, { freshSchema: 2 });
