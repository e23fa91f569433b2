/** `cutover status [run-id]`: where a run stands, at a glance, for whoever is on call. */
import type { Command } from "commander";
import { driverGone } from "../../api/driver-gone.js";
import { nextSteps } from "../../api/next-steps.js";
import { newestRunId, readStatusView, type RunView } from "../../api/run-view.js";
import { isLeaseLive } from "../../core/run-store.js";
import type { RunState } from "../../engine/reducer.js";
import type { ExitCode } from "../../core/errors.js";
import { heldOut, type CliIO } from "../io.js";
import { printStatus, resultLines, screenWidth } from "../render/status-screen.js";
import { withIO } from "../shared.js";
import { notificationsLine } from "../../api/notify-body.js";
import { gateExpiry, isExpired } from "../../engine/gate-expiry.js";
import { exitCodeForState } from "../exit-code.js";

export function register(program: Command): void {
  program
    .command("status")
    .description(
      "show a run at a glance: where it stands and since when, the next commands, what each step changed, and " +
        "what abort would undo and leave",
    )
    .argument("[run-id]", "the run (default: the newest)")
    .option("-f, --playbook <file>", "read the run from this playbook's state store")
    .option(
      "-w, --watch",
      "follow the run live until it finishes, pauses or stops (one already paused or stopped: until it moves, then " +
        "to its next stop); end with the result line and exit with the run's exit code (0, 1, 3 or 130)",
    )
    .action(
      withIO(async (cliIO, runIdArg: string | undefined, opts: { playbook?: string; watch?: boolean }) => {
        const where = { stateDir: cliIO.stateDir, playbook: opts.playbook };
        const runId = runIdArg ?? (await newestRunId(where));
        if (opts.watch) return watch(cliIO, runId, opts.playbook);
        const { state, lease, undo } = await readStatusView(runId, where);
        const screen = heldOut(cliIO);
        try {
          show(screen.io, { state, lease, undo }, opts.playbook);
        } finally {
          screen.flush();
        }
      }),
    );
}

/** The status screen (or its one JSON line). */
function show(io: CliIO, { state, lease, undo }: RunView, playbook: string | undefined): void {
  const liveLease = isLeaseLive(lease) ? lease : undefined;
  const gone = driverGone(state, lease);
  const next = nextSteps(state, { lease: liveLease, gone, locate: locate(io, playbook) });
  if (io.json) {
    io.out(
      JSON.stringify({
        type: "status",
        state,
        lease: liveLease ?? null,
        driverGone: gone,
        next,
        abortWouldUndo: undo,
      }),
    );
    return;
  }
  printStatus(io, {
    state,
    holder: liveLease?.holder,
    holderIsThisRun: liveLease?.runId === state.runId,
    gone,
    undo,
    next,
    now: Date.now(),
    width: screenWidth(),
  });
  const gateId = state.pause?.reason === "approval" ? state.pause.stepId : undefined;
  const gate = gateId ? gateExpiry(state, gateId) : undefined;
  if (gate)
    io.out(
      io.c.yellow(
        `gate ${gateId} ${isExpired(gate) ? "expired" : "expires"} at ` +
          `${new Date(gate.expiresAt).toISOString()} (then: ${gate.onExpiry})`,
      ),
    );
  printNotes(io, state);
}

/** `--watch`: follow the run live, then the result line and the run's exit code. */
async function watch(io: CliIO, runId: string, playbook: string | undefined): Promise<ExitCode> {
  const [{ watchRun }, { readRun }, { makeRenderer }] = await Promise.all([
    import("../../api/watch.js"),
    import("../../api/inspect.js"),
    import("../render/renderer.js"),
  ]);
  const renderer = makeRenderer(io);
  const final = await watchRun(runId, {
    stateDir: io.stateDir,
    playbook,
    onEvent: (e, s) => renderer.event(e, s),
  });
  renderer.close(final);
  const code = exitCodeForState(final);
  const { lease } = await readRun(runId, { stateDir: io.stateDir, playbook });
  const gone = driverGone(final, lease);
  const next = nextSteps(final, { lease: isLeaseLive(lease) ? lease : undefined, gone, locate: locate(io, playbook) });
  if (io.json) io.out(JSON.stringify({ type: "result", runId, status: final.status, exitCode: code, next }));
  else for (const l of resultLines(io, final, next)) io.err(l);
  return code;
}

/** What the next commands need to find the same run: its playbook's store, a state directory named on the line. */
function locate(io: CliIO, playbook: string | undefined): string | undefined {
  const dir = io.stateDir !== ".cutover" && process.env.CUTOVER_STATE_DIR !== io.stateDir ? io.stateDir : undefined;
  const parts = [...(playbook ? [`-f ${playbook}`] : []), ...(dir ? [`--state-dir ${dir}`] : [])];
  return parts.length ? parts.join(" ") : undefined;
}

/** The run's history that is not a step: dependencies, overrides, take-overs. */
function printNotes(io: CliIO, s: RunState): void {
  const c = io.c;
  if (s.linked)
    io.out(
      `depends on run ${s.linked.requires} (${s.linked.playbook} in ${s.linked.environment}); abort --rollback ` +
        `of it is refused while this run stands`,
    );
  if (s.dataLossAccepted)
    io.out(
      c.red(
        `data loss accepted by ${s.dataLossAccepted.by.user} at ${s.dataLossAccepted.at}: ${s.dataLossAccepted.reason}`,
      ),
    );
  if (s.supersededBy)
    io.out(c.yellow(`superseded by run ${s.supersededBy.runId} (${s.supersededBy.by.user}, ${s.supersededBy.at})`));
  for (const f of s.forced)
    io.out(
      c.yellow(
        `${f.command} forced by ${f.by.user} at ${f.at} although ${f.newerRun} is ` +
          `newer${f.reason ? `: ${f.reason}` : ""}`,
      ),
    );
  for (const f of s.forcedLeases)
    io.out(
      c.yellow(`lease taken over at ${f.at} by ${f.by.user}${f.previousHolder ? ` from ${f.previousHolder}` : ""}`),
    );
  // Webhooks that failed (notify.failed, api/notify.ts): one line, apart from the run's own state.
  const notified = notificationsLine(s);
  if (notified) io.out(c.yellow(notified));
}
