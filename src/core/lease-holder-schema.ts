/**
 * The schema of a lease's holder (src/core/lease-holder.ts), apart from the functions that read it: stores load
 * it to check a holder they read, and what only displays one does not load zod.
 */
import { z } from "zod";

export const LeaseHolder = z.object({
  user: z.string(),
  host: z.string().min(1),
  pid: z.number().int().positive(),
  runId: z.string().min(1).optional(),
});
export type LeaseHolder = z.infer<typeof LeaseHolder>;
