// CQRS demo V1, web role.
import { webRole } from "../lib/web.js";
await webRole("v1", { minSchema: 1 });
