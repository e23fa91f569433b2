// CQRS demo V2, worker role: writes orders and appends each to the event store (order_events).
import { workerRole } from "../lib/handler.js";
import { appendEvent } from "../lib/events.js";
await workerRole("v2", appendEvent, { freshSchema: 2 });
