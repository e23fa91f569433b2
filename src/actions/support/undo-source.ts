/** What an undo works from, for actions whose checkpoint has the shape of their record. */
import type { Json } from "../../core/json.js";
import type { UndoContext } from "../../core/action.js";

/**
 * The completed step's record, or, for a step interrupted mid-way
 * (`undoIncomplete`), the checkpoint it wrote before changing anything;
 * undefined when there is neither: the attempt changed nothing.
 */
export function recordOrCheckpoint(ctx: UndoContext): Json | undefined {
  return ctx.recorded ?? ctx.lastCheckpoint ?? undefined;
}
