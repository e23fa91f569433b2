/** `cutover status [run-id]`: where a run stands, at a glance, for whoever is on call. */
import type { Command } from "commander";
import { abortPreview, driverGone, listRuns, readRun, tryLoad } from "../../api/inspect.js";
import { isLeaseLive } from "../../core/run-store.js";
import type { RunState, StepState } from "../../engine/reducer.js";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { formatDuration } from "../../playbook/duration.js";
import type { CliIO } from "../io.js";
import { UNDO_SKIP } from "../render/describe-event.js";
import { withIO } from "../shared.js";
import { notificationsLine } from "../../api/notify-body.js";
import { gateExpiry, isExpired } from "../../engine/gate.js";
import { watchRun } from "../../api/watch.js";
import { makeRenderer } from "../render/renderer.js";
import { exitCodeForState } from "../session-runner.js";

export function register(program: Command): void {
  program
    .command("status")
    .description("show a run: state, current step, lease holder, per-step timings, and what abort would undo")
    .argument("[run-id]", "the run (default: the newest)")
    .option("-f, --playbook <file>", "read the run from this playbook's state store")
    .option(
      "-w, --watch",
      "follow the run live until it finishes, pauses or stops; exit with the run's exit code (0, 1, 3 or 130)",
    )
    .action(
      withIO(async (io, runIdArg: string | undefined, opts: { playbook?: string; watch?: boolean }) => {
        let runId = runIdArg;
        if (!runId) {
          const [latest] = await listRuns({ stateDir: io.stateDir, playbook: opts.playbook, limit: 1 });
          if (!latest)
            throw new CutoverError(ErrorCode.RunNotFound, "no runs yet", {
              hint: "start one with `cutover run <playbook>`",
            });
          runId = latest.runId;
        }
        if (opts.watch) {
          const renderer = makeRenderer(io);
          const final = await watchRun(runId, {
            stateDir: io.stateDir,
            playbook: opts.playbook,
            onEvent: (e, s) => renderer.event(e, s),
          });
          renderer.close(final);
          return exitCodeForState(final);
        }
        const { state, lease, file } = await readRun(runId, {
          stateDir: io.stateDir,
          playbook: opts.playbook,
          redacted: true,
        });
        const loaded = tryLoad(file);
        const undo = abortPreview(state, loaded);
        const liveLease = isLeaseLive(lease) ? lease : undefined;
        const gone = driverGone(state, lease);
        if (io.json) {
          io.out(
            JSON.stringify({ type: "status", state, lease: liveLease ?? null, driverGone: gone, abortWouldUndo: undo }),
          );
          return;
        }
        printStatus(io, state, liveLease?.holder, liveLease?.runId === state.runId, undo, gone);
        const gateId = state.pause?.reason === "approval" ? state.pause.stepId : undefined;
        const gate = gateId ? gateExpiry(state, gateId) : undefined;
        if (gate)
          io.out(
            io.c.yellow(
              `gate ${gateId} ${isExpired(gate) ? "expired" : "expires"} at ` +
                `${new Date(gate.expiresAt).toISOString()} (then: ${gate.onExpiry})`,
            ),
          );
      }),
    );
}

function printStatus(
  io: CliIO,
  s: RunState,
  holder: string | undefined,
  holderIsThisRun: boolean,
  undo: ReturnType<typeof abortPreview>,
  gone: boolean,
): void {
  const c = io.c;
  const colour = {
    succeeded: c.green,
    failed: c.red,
    aborted: c.magenta,
    paused: c.yellow,
    interrupted: c.yellow,
    running: c.cyan,
    aborting: c.magenta,
  }[s.status];
  io.out(
    `${c.bold(`run ${s.runId}`)}  ` +
      `${colour(s.status.toUpperCase())}${gone ? c.yellow("  (but nothing is running it)") : ""}`,
  );
  io.out(`  playbook     ${s.playbook.name} (${s.playbook.file}, sha256 ${s.playbook.hash.slice(0, 12)})`);
  io.out(
    `  environment  ${s.environment}   lease: ` +
      `${holder ? `${holder}${holderIsThisRun ? "" : " (another run)"}` : "free"}`,
  );
  io.out(
    `  started      ${s.startedAt} by ` +
      `${s.startedBy.user}@${s.startedBy.host}${s.finishedAt ? `   finished ${s.finishedAt}` : ""}`,
  );
  const params = Object.entries(s.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  if (params.length || s.secretParams.length)
    io.out(`  params       ${[...params, ...s.secretParams.map((k) => `${k}=***`)].join(" ")}`);
  const current = s.order
    .map((id) => s.steps[id]!)
    .find((st) => st.status === "running" || (st.status === "failed" && st.retryInMs !== undefined));
  if (current) io.out(`  current      ${current.id} (attempt ${current.attempts})`);
  if (s.pause) io.out(c.yellow(`  waiting      ${s.pause.message}`));
  if (gone) {
    io.out(
      c.yellow(
        `  stopped      the cutover process that ran it is gone (crashed, killed, or its CI job cancelled); its ` +
          `lease is free or expiring`,
      ),
    );
    io.out(
      c.yellow(
        `  next         cutover resume ${s.runId} continues it ` +
          `where the journal says; cutover abort ${s.runId} undoes it`,
      ),
    );
  }
  if (s.abortRequested)
    io.out(
      c.magenta(
        `  abort        requested by ${s.abortRequested.by.user} at ` +
          `${s.abortRequested.at}${s.abortRequested.reason ? `: ${s.abortRequested.reason}` : ""}`,
      ),
    );
  io.out("");
  for (const id of s.order) io.out(stepLine(io, s.steps[id]!));
  if (s.status === "paused" || s.status === "interrupted" || s.status === "running") {
    io.out("");
    io.out(
      undo.length
        ? `abort would undo, in this order: ` +
            `${undo.map((u) => `${u.id}${u.undo === "recorded" || u.undo === "override" ? "" : ` (${u.undo === "none" ? "nothing to undo" : "left in place"})`}`).join(" → ")}`
        : "abort would have nothing to undo",
    );
  }
  // Data barriers the run passed: abort refuses the undos behind them without --accept-data-loss (issue 9).
  const held = undo.filter((u) => u.behindBarrier && (u.undo === "recorded" || u.undo === "override"));
  if (held.length)
    io.out(
      c.red(
        `data barrier ${held[0]!.behindBarrier} passed: abort refuses to undo ` +
          `${held.map((u) => u.id).join(", ")} without --accept-data-loss`,
      ),
    );
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

function stepLine(io: CliIO, st: StepState): string {
  const c = io.c;
  const mark = {
    pending: c.dim("○"),
    running: c.cyan("▶"),
    succeeded: c.green("✔"),
    failed: c.red("✖"),
    skipped: c.dim("↷"),
  }[st.status];
  const time = st.durationMs ? formatDuration(st.durationMs) : "";
  const bits = [`${mark} ${st.id.padEnd(28)} ${st.status.padEnd(9)} ${time.padStart(7)}`];
  if (st.attempts > 1) bits.push(c.dim(`${st.attempts} attempts`));
  if (st.approvedBy) bits.push(c.dim(`approved ${st.approvedAhead ? "ahead " : ""}by ${st.approvedBy.user}`));
  if (st.skipReason) bits.push(c.dim(st.skipReason));
  if (st.error && st.status === "failed") bits.push(c.red(`[${st.error.code}] ${st.error.message}`));
  if (st.undo.status === "succeeded") bits.push(c.magenta("undone"));
  else if (st.undo.status === "failed") bits.push(c.red(`undo failed: ${st.undo.error?.message ?? ""}`));
  else if (st.undo.status === "skipped" && st.undo.reason && st.undo.reason !== "nothing-to-undo")
    bits.push(c.yellow(UNDO_SKIP[st.undo.reason] ?? st.undo.reason));
  return bits.join("  ");
}
