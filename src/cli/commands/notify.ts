/** `cutover notify [run-id]`: send the webhook notifications a run's journal still owes (docs/notifications.md). */
import type { Command } from "commander";
import { listRuns } from "../../api/inspect.js";
import { sendOwedNotifications } from "../../api/notify-owed.js";
import { CutoverError, ErrorCode, ExitCode } from "../../core/errors.js";
import { withIO } from "../shared.js";

export function register(program: Command): void {
  program
    .command("notify")
    .description(
      "send the notify: webhooks a run still owes (a journaled pause or result whose delivery a crash cut short)",
    )
    .argument("[run-id]", "the run (default: the newest)")
    .option("-f, --playbook <file>", "the playbook (default: the file the run started from); also its state store")
    .action(
      withIO(async (io, runIdArg: string | undefined, opts: { playbook?: string }) => {
        let runId = runIdArg;
        if (!runId) {
          const [latest] = await listRuns({ stateDir: io.stateDir, playbook: opts.playbook, limit: 1 });
          if (!latest) throw new CutoverError(ErrorCode.RunNotFound, "no runs yet");
          runId = latest.runId;
        }
        const r = await sendOwedNotifications(runId, { stateDir: io.stateDir, playbook: opts.playbook });
        if (io.json) io.out(JSON.stringify({ type: "notify.result", ...r }));
        else if (r.sent + r.failed === 0) io.out(`run ${runId} owes no notification`);
        else io.out(`run ${runId}: ${r.sent} notification(s) sent, ${r.failed} failed`);
        return r.failed > 0 ? ExitCode.failed : ExitCode.ok;
      }),
    );
}
