/**
 * `cutover status` for whoever is on call, on one screen: where the run stands and since when, what to type next,
 * what each completed step changed, and what an abort would undo and leave. Long lines wrap to the terminal's
 * width with a hanging indent, so nothing important runs off the right edge.
 */
import type { AbortPreview } from "../../api/inspect.js";
import type { NextSteps } from "../../api/next-steps.js";
import { formatDuration } from "../../core/duration.js";
import { isFinished, type RunState, type StepState } from "../../engine/reducer.js";
import type { CliIO } from "../io.js";
import { UNDO_SKIP } from "./describe-event.js";

export interface StatusView {
  state: RunState;
  /** The live lease's holder, and whether it holds it for this run. */
  holder?: string;
  holderIsThisRun: boolean;
  gone: boolean;
  undo: AbortPreview[];
  next: NextSteps;
  /** Now, for elapsed times (injected by tests). */
  now: number;
  width: number;
}

type Paint = (s: string) => string;

/**
 * The width to wrap to: the terminal's; in a pipe or a CI log, $COLUMNS when set, else no wrapping at all (a log
 * line is searched with grep, and its viewer wraps it).
 */
export function screenWidth(env: NodeJS.ProcessEnv = process.env): number {
  const cols = process.stdout.isTTY ? process.stdout.columns : Number(env.COLUMNS || NaN);
  return Number.isFinite(cols) && cols >= 40 ? cols : Infinity;
}

/**
 * `text` cut into lines of at most `width` characters at spaces, the first after `first` (a label), the others
 * after `indent`. A word longer than a whole line is kept whole (a path, a command) rather than cut.
 */
function wrap(text: string, width: number, indent: string, first = ""): string[] {
  const out: string[] = [];
  let line = first;
  let fresh = true; // nothing after the line's prefix yet
  for (const word of text.split(" ")) {
    const sep = fresh ? "" : " ";
    if (line.length + sep.length + word.length > width && line.trim() !== "") {
      out.push(line.trimEnd());
      line = indent + word;
    } else line += sep + word;
    fresh = false;
  }
  out.push(line.trimEnd());
  return out;
}

/** `10:42:07 UTC`, with the date when it is not today (UTC: on-call people and servers share no time zone). */
export function clock(iso: string, now: number): string {
  const d = new Date(iso);
  const time = `${d.toISOString().slice(11, 19)} UTC`;
  return d.toISOString().slice(0, 10) === new Date(now).toISOString().slice(0, 10)
    ? time
    : `${d.toISOString().slice(0, 10)} ${time}`;
}

const since = (iso: string, now: number) => formatDuration(Math.max(0, now - Date.parse(iso)));

export function printStatus(io: CliIO, v: StatusView): void {
  const { state: s, now, width } = v;
  const c = io.c;
  const colour: Paint = {
    succeeded: c.green,
    failed: c.red,
    aborted: c.magenta,
    paused: c.yellow,
    interrupted: c.yellow,
    running: c.cyan,
    aborting: c.magenta,
  }[s.status];
  const field = (name: string, text: string, paint: Paint = (x) => x) => {
    for (const l of wrap(text, width, " ".repeat(15), `  ${name.padEnd(13)}`)) io.out(paint(l));
  };
  const where = s.pause?.stepId ? ` at ${s.pause.stepId}` : "";
  io.out(
    `${c.bold(`run ${s.runId}`)}  ${colour(`${s.status.toUpperCase()}${where}`)}` +
      `${v.gone ? c.yellow("  (but nothing is running it)") : ""}`,
  );
  field("playbook", `${s.playbook.name} (${s.playbook.file}, sha256 ${s.playbook.hash.slice(0, 12)})`);
  field(
    "environment",
    `${s.environment}   lease: ` +
      (v.holder
        ? `${v.holder}${v.holderIsThisRun ? (v.gone ? " (its process is gone)" : "") : " (another run)"}`
        : "free"),
  );
  field(
    "started",
    `${clock(s.startedAt, now)} by ${s.startedBy.user}@${s.startedBy.host}` +
      (s.finishedAt
        ? `; finished ${clock(s.finishedAt, now)}, after ${formatDuration(Date.parse(s.finishedAt) - Date.parse(s.startedAt))}`
        : `, ${since(s.startedAt, now)} ago`),
  );
  const params = Object.entries(s.params).map(([k, val]) => `${k}=${JSON.stringify(val)}`);
  if (params.length || s.secretParams.length)
    field("params", [...params, ...s.secretParams.map((k) => `${k}=***`)].join(" "));
  const current = currentLine(s, v.gone, now);
  if (current) field("now", current);
  field("state", v.next.say, colour);
  // A command is never broken across lines (it must paste whole): too long for the line, it goes under its label.
  v.next.commands.forEach((n, i) => {
    const label = `  ${(i === 0 ? "next" : "").padEnd(13)}${`${n.what}:`.padEnd(12)} `;
    if (label.length + n.command.length <= width) io.out(label + n.command);
    else io.out(`${label.trimEnd()}\n${" ".repeat(17)}${n.command}`);
  });
  if (s.abortRequested)
    field(
      "abort",
      `requested by ${s.abortRequested.by.user} at ${clock(s.abortRequested.at, now)}` +
        `${s.abortRequested.reason ? `: ${s.abortRequested.reason}` : ""}`,
      c.magenta,
    );
  io.out("");
  io.out(c.bold("steps, and what each changed"));
  const stopped = isFinished(s) || s.status === "interrupted" || v.gone;
  const idWidth = Math.min(28, Math.max(...s.order.map((id) => id.length)));
  for (const id of s.order) for (const l of stepLines(io, s, s.steps[id]!, { stopped, now, width, idWidth })) io.out(l);
  // A succeeded run can still be rolled back (`abort --rollback`): its preview says what that would do.
  if (!isFinished(s)) printAbortPreview(io, v, "abort");
  else if (s.status === "succeeded") printAbortPreview(io, v, "abort --rollback");
}

/** The step the run is on, since when and for how long; undefined for a finished run. */
function currentLine(s: RunState, gone: boolean, now: number): string | undefined {
  if (isFinished(s)) return undefined;
  if (s.pause) {
    return `waiting since ${clock(s.pause.at, now)} (${since(s.pause.at, now)}): ${s.pause.message}`;
  }
  const st = s.order
    .map((id) => s.steps[id]!)
    .find((x) => x.status === "running" || (x.status === "failed" && x.retryInMs !== undefined));
  if (!st?.startedAt) return s.status === "interrupted" ? `stopped at ${clock(s.updatedAt, now)}` : undefined;
  const attempt = st.attempts > 1 ? `, attempt ${st.attempts}` : "";
  if (s.status === "interrupted" || gone)
    return `${st.id} started ${clock(st.startedAt, now)}${attempt}; stopped, last heard of ${since(s.updatedAt, now)} ago`;
  if (st.status === "failed")
    return `${st.id} failed (attempt ${st.attempts}), retrying ${formatDuration(st.retryInMs ?? 0)} after ${clock(st.finishedAt ?? s.updatedAt, now)}`;
  return `${st.id} started ${clock(st.startedAt, now)}${attempt}, running for ${since(st.startedAt, now)}`;
}

interface StepLayout {
  /** Nothing drives the run: a step the journal shows running was cut short. */
  stopped: boolean;
  now: number;
  width: number;
  idWidth: number;
}

function stepLines(io: CliIO, s: RunState, st: StepState, layout: StepLayout): string[] {
  const { stopped, now, width } = layout;
  const c = io.c;
  const waiting = s.pause?.stepId === st.id && st.status !== "failed";
  // A step the journal left "running" in a run nothing drives (aborted midway, crashed): it did not complete.
  const cut = st.status === "running" && stopped;
  const mark = waiting
    ? c.yellow("⏸")
    : cut
      ? c.yellow("■")
      : { pending: c.dim("○"), running: c.cyan("▶"), succeeded: c.green("✔"), failed: c.red("✖"), skipped: c.dim("↷") }[
          st.status
        ];
  const word = waiting ? "waiting" : cut ? "stopped" : st.status;
  const time = st.durationMs
    ? formatDuration(st.durationMs)
    : st.status === "running" && st.startedAt && !cut
      ? since(st.startedAt, now)
      : "";
  const head = `${st.id.padEnd(layout.idWidth)} ${word.padEnd(9)} ${time.padStart(6)}`;
  const bits: string[] = [];
  if (st.status === "succeeded" && st.effect) bits.push(st.effect);
  if (cut && st.undo.reason !== "not-completed") bits.push("did not complete");
  if (st.attempts > 1) bits.push(`${st.attempts} attempts`);
  if (st.approvedBy) bits.push(`approved ${st.approvedAhead ? "ahead " : ""}by ${st.approvedBy.user}`);
  if (st.skipReason) bits.push(st.skipReason);
  if (st.error && st.status === "failed") bits.push(`[${st.error.code}] ${st.error.message}`);
  if (st.undo.status === "succeeded") bits.push("↶ undone");
  else if (st.undo.status === "failed") bits.push(`undo failed: ${st.undo.error?.message ?? ""}`);
  else if (st.undo.status === "skipped" && st.undo.reason && st.undo.reason !== "nothing-to-undo")
    bits.push(UNDO_SKIP[st.undo.reason] ?? st.undo.reason);
  const paint: Paint =
    st.status === "failed" || st.undo.status === "failed" ? c.red : st.undo.status === "succeeded" ? c.magenta : c.dim;
  // Continuation lines start under the text when there is room for it there, else a little indented.
  const indent = head.length + 2 <= width / 2 ? head.length + 2 : 4;
  const lines = wrap(bits.join("; "), width - 2, " ".repeat(indent), `${head}  `);
  return lines.map((l, i) =>
    i === 0 ? `${mark} ${l.slice(0, head.length)}${paint(l.slice(head.length))}` : `  ${paint(l)}`,
  );
}

/** What `cutover abort` would do now: undo (newest first), leave in place, and the steps with nothing to undo. */
function printAbortPreview(io: CliIO, v: StatusView, verb: string): void {
  const c = io.c;
  const undone = v.undo.filter((u) => u.undo === "recorded" || u.undo === "override");
  const left = v.undo.filter((u) => u.undo === "disabled" || u.undo === "irreversible");
  // In the playbook's order: a list to read, not an order to act in.
  const nothing = v.undo
    .filter((u) => u.undo === "none")
    .sort((a, b) => v.state.order.indexOf(a.id) - v.state.order.indexOf(b.id));
  const why = { disabled: "undo: false", irreversible: "point of no return" } as Record<string, string>;
  const block = (title: string, items: string[], paint: Paint = (x) => x) => {
    if (items.length) for (const l of wrap(items.join(", "), v.width, "  ", `${title} `)) io.out(paint(l));
  };
  io.out("");
  if (!undone.length && !left.length) io.out(`${verb} would have nothing to undo`);
  else {
    const order = undone.map((u) => u.id).join(" → ");
    for (const l of wrap(order || "nothing", v.width, "  ", `${verb} would undo, newest first: `)) io.out(l);
  }
  block(
    `${verb} would leave in place:`,
    left.map((u) => `${u.id} (${why[u.undo]})`),
    c.yellow,
  );
  block(
    `nothing to undo (${nothing.length}):`,
    nothing.map((u) => u.id),
    c.dim,
  );
  // Data barriers the run passed: abort refuses the undos behind them without --accept-data-loss (issue 9).
  const held = undone.filter((u) => u.behindBarrier);
  if (held.length)
    block(
      `data barrier ${held[0]!.behindBarrier} passed: abort refuses to undo`,
      [`${held.map((u) => u.id).join(", ")} without --accept-data-loss`],
      c.red,
    );
}

/** The last lines of `status --watch`: how the run ended up, and the next commands when a person is needed. */
export function resultLines(io: CliIO, s: RunState, next: NextSteps): string[] {
  const c = io.c;
  const id = s.runId;
  const head = {
    succeeded: c.green(`✔ run ${id} succeeded`),
    failed: c.red(`✖ run ${id} ${next.say}`),
    aborted: c.magenta(`↶ run ${id} ${next.say}`),
    paused: c.yellow(`⏸ run ${id} is paused: ${s.pause?.message ?? next.say}`),
    interrupted: c.yellow(`■ run ${id} is ${next.say}`),
    running: c.yellow(`■ run ${id}: ${next.say}`),
    aborting: c.yellow(`■ run ${id}: ${next.say}`),
  }[s.status];
  return s.status === "succeeded"
    ? [head]
    : [head, ...next.commands.map((n) => `  ${`${n.what}:`.padEnd(12)} ${n.command}`)];
}
