/**
 * Output is a view of the events (docs/design.md invariant 8): the TTY task list,
 * plain log lines and JSON lines all consume the same stream.
 */
import type { RunEvent } from "../../engine/events.js";
import type { RunState } from "../../engine/reducer.js";
import type { CliIO } from "../io.js";
import { JsonRenderer } from "./json.js";
import { PlainRenderer } from "./plain.js";
import { TtyRenderer } from "./tty.js";

export interface Renderer {
  event(e: RunEvent, state: RunState): void;
  log(stepId: string, level: "info" | "warn" | "progress", message: string, fraction?: number): void;
  /** A message from the CLI itself (e.g. "stopping after the current step"). */
  notice(message: string): void;
  close(state?: RunState): void;
}

export function makeRenderer(io: CliIO): Renderer {
  if (io.json) return new JsonRenderer(io);
  if (io.tty) return new TtyRenderer(io);
  return new PlainRenderer(io);
}
