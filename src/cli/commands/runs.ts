/** `cutover runs`: the known runs, newest first. */
import type { Command } from "commander";
import { listRunOverviews } from "../../api/inspect.js";
import { withIO } from "../shared.js";
import { wholeNumber } from "../usage.js";

export function register(program: Command): void {
  program
    .command("runs")
    .description("list runs, newest first")
    .option("--environment <name>", "only runs of this environment")
    .option("--limit <n>", "at most this many (1 to 100000)", wholeNumber(1, 100_000), 20)
    .option("-f, --playbook <file>", "list the runs in this playbook's state store (default: the local file store)")
    .action(
      withIO(async (io, opts: { environment?: string; limit: number; playbook?: string }) => {
        const runs = await listRunOverviews({
          stateDir: io.stateDir,
          playbook: opts.playbook,
          environment: opts.environment,
          limit: opts.limit,
        });
        if (io.json) {
          for (const r of runs) io.out(JSON.stringify({ type: "run", ...r }));
          return;
        }
        if (runs.length === 0) io.out("no runs yet");
        for (const r of runs) {
          const where = r.step ? ` at ${r.step}` : "";
          const state = r.driverGone
            ? io.c.yellow(`${r.status}${where}, but nothing runs it (resume or abort)`)
            : `${r.status}${where}`;
          io.out(
            `${r.runId}  ${r.playbook.padEnd(20)} ${r.environment.padEnd(16)} ${r.startedAt.slice(0, 19)}  ${state}`,
          );
        }
      }),
    );
}
