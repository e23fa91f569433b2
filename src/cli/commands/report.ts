/** `cutover report [run-id]`: the run's timeline, machine time and human wait apart, as Markdown, HTML or JSON. */
import path from "node:path";
import type { Command } from "commander";
import { Option } from "commander";
import { listRuns, openStore, tryLoad } from "../../api/inspect.js";
import { buildRunReport } from "../../api/report.js";
import { renderMarkdown } from "../../api/report-md.js";
import { renderHtml } from "../../api/report-html.js";
import { runRedactor } from "../../api/secrets.js";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { CutoverError, ErrorCode, isCutoverError } from "../../core/errors.js";
import { withIO } from "../shared.js";

interface ReportFlags {
  format?: "md" | "html" | "json";
  out?: string;
  playbook?: string;
}

export function register(program: Command): void {
  program
    .command("report")
    .description(
      "the timeline of a run: each attempt, undo, gate and decision (who, when, why), machine time and human wait " +
        "apart",
    )
    .argument("[run-id]", "the run (default: the newest, as status)")
    .addOption(
      new Option(
        "--format <format>",
        "md (Markdown), html (one self-contained file) or json (default: md; -o json: json)",
      ).choices(["md", "html", "json"]),
    )
    .option("--out <file>", "write the report to this file (atomically) instead of stdout")
    .option("-f, --playbook <file>", "read the run from this playbook's state store")
    .action(
      withIO(async (io, runIdArg: string | undefined, opts: ReportFlags) => {
        const format = opts.format ?? (io.json ? "json" : "md");
        let runId = runIdArg;
        if (!runId) {
          const [latest] = await listRuns({ stateDir: io.stateDir, playbook: opts.playbook, limit: 1 });
          if (!latest)
            throw new CutoverError(ErrorCode.RunNotFound, "no runs yet", {
              hint: "start one with `cutover run <playbook>`",
            });
          runId = latest.runId;
        }
        const located = await openStore({ stateDir: io.stateDir, playbook: opts.playbook });
        let report;
        try {
          // Mask every secret this process knows the run by, as status does (docs/security.md).
          const redactor = (file: string) => runRedactor(tryLoad(opts.playbook ?? file), process.env);
          report = await buildRunReport(located.store, runId, { redactor });
        } catch (e) {
          if (isCutoverError(e, ErrorCode.RunNotFound) || isCutoverError(e, ErrorCode.Usage))
            throw new CutoverError(ErrorCode.RunNotFound, `no run ${runId}`, {
              hint: "list runs with `cutover runs` (a run kept in a remote store needs --playbook <file>)",
            });
          throw e;
        } finally {
          await located.close();
        }
        const text =
          format === "json"
            ? opts.out || !io.json
              ? JSON.stringify(report, null, 2) + "\n"
              : JSON.stringify({ type: "report", ...report }) + "\n"
            : format === "html"
              ? renderHtml(report)
              : renderMarkdown(report);
        if (opts.out) {
          await writeFileAtomic(opts.out, text, { mode: 0o644 }).catch((e: unknown) => {
            const why = (e as { code?: string }).code ?? "error";
            throw new CutoverError(ErrorCode.Usage, `--out ${opts.out}: cannot write the report there (${why})`, {
              hint: "name a file in a directory that exists and you can write to",
            });
          });
          if (io.json) io.out(JSON.stringify({ type: "report.written", runId, format, file: path.resolve(opts.out) }));
          else io.err(`report of run ${runId} (${format}) written to ${opts.out}`);
          return;
        }
        process.stdout.write(text);
      }),
    );
}
