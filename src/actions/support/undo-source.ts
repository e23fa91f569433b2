/** What an undo works from, for actions whose checkpoint has the shape of their record. */
import type { UndoContext } from "../../core/action.js";

/**
 * The completed step's record, or, for a step interrupted mid-way
 * (`undoIncomplete`), the checkpoint it wrote before changing anything;
 * undefined when there is neither: the attempt changed nothing.
 */
export function recordOrCheckpoint<R, C>(ctx: UndoContext<R, C>): R | C | undefined {
  return ctx.recorded ?? ctx.lastCheckpoint ?? undefined;
}
