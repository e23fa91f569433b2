// CQRS demo V1, worker role: writes orders.
import { workerRole } from "../lib/handler.js";
await workerRole("v1");
