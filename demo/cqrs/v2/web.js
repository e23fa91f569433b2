// CQRS demo V2, web role: takes commands once the migration brought the schema to 2 (a fresh
// database starts there).
import { webRole } from "../lib/web.js";
await webRole("v2", { minSchema: 2, freshSchema: 2 });
