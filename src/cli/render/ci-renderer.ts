/**
 * CI-native output around the renderer a command would use anyway (docs/ci.md). In text mode on GitHub Actions
 * or Azure Pipelines: each step's lines in a collapsible group, an error annotation at the playbook line of a
 * step that failed, the result as a notice (GitHub) or section and task result (Azure). After every command that
 * ran steps: the Markdown summary ($GITHUB_STEP_SUMMARY; Azure: task.uploadsummary) and the `--junit` report.
 * JSON output is left exactly as it is: only the report files are written then.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RunEvent } from "../../engine/events.js";
import type { RunState } from "../../engine/reducer.js";
import type { LoadedPlaybook } from "../../playbook/validate.js";
import { tryLoad } from "../../api/inspect.js";
import type { CliIO } from "../io.js";
import type { Renderer } from "./renderer.js";
import type { CiDialect } from "./ci-kind.js";
import { logGroup, outcomeOf, resultSentence, stepLocation } from "./run-facts.js";
import { stepSummaryMarkdown } from "./step-summary.js";
import { writeJunit } from "./junit.js";
import { escapeAzureData } from "./azure-pipelines.js";

/**
 * The IO the wrapped renderer prints through: each line it prints (a step's log line, an event sentence holding
 * an error message) on a line of its own and made inert, so step output cannot issue CI commands.
 */
export function inertIO(io: CliIO, dialect: CiDialect): CliIO {
  const each = (text: string, print: (l: string) => void) =>
    text.split(/\r\n|\r|\n/).forEach((l) => print(dialect.inert(l)));
  return { ...io, out: (t) => each(t, io.out), err: (t) => each(t, io.err) };
}

export class CiRenderer implements Renderer {
  private loadedCache: LoadedPlaybook | undefined | null = null;
  /**
   * The open log group: groups cannot nest or interleave, so the steps of a parallel group (and the members of a
   * matrix) share one group, titled by the group, open while any of them runs.
   */
  private open: { key: string; members: Set<string> } | undefined;
  private decisions: string[] = [];

  constructor(
    private readonly inner: Renderer,
    private readonly io: CliIO,
    private readonly dialect: CiDialect | undefined,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private loaded(state: RunState): LoadedPlaybook | undefined {
    if (this.loadedCache === null) this.loadedCache = tryLoad(state.playbook.file);
    return this.loadedCache;
  }

  private start(member: string, group: { key: string; title: string }): void {
    const d = this.dialect!;
    if (this.open && this.open.key !== group.key) this.closeGroup();
    if (!this.open) {
      this.io.out(d.group(group.title));
      this.open = { key: group.key, members: new Set() };
    }
    this.open.members.add(member);
  }

  private end(member: string): void {
    if (!this.open?.members.delete(member)) return;
    if (this.open.members.size === 0) this.closeGroup();
  }

  private closeGroup(): void {
    if (this.open) this.io.out(this.dialect!.endGroup());
    this.open = undefined;
  }

  event(e: RunEvent, state: RunState): void {
    if (e.type === "run.decision")
      this.decisions.push(
        `${e.by.user}@${e.by.host} decided to ${e.decision}${e.stepId ? ` ${e.stepId}` : ""}${e.note ? `: ${e.note}` : ""}`,
      );
    const d = this.dialect;
    if (!d) return this.inner.event(e, state);
    const st = "stepId" in e && typeof e.stepId === "string" ? state.steps[e.stepId] : undefined;
    if (e.type === "step.started" && st) this.start(e.stepId, logGroup(this.loaded(state), st, e.attempt));
    if (e.type === "undo.started" && st)
      this.start(`undo ${e.stepId}`, { key: `undo ${st.id}`, title: `undo ${st.id}` });
    this.inner.event(e, state);
    if (st && (e.type === "step.failed" || e.type === "undo.failed")) {
      const final = e.type === "undo.failed" || e.retryInMs === undefined;
      if (final) {
        const what = e.type === "undo.failed" ? `undo of step ${e.stepId} failed` : `step ${e.stepId} failed`;
        this.end(e.type === "undo.failed" ? `undo ${e.stepId}` : e.stepId);
        this.io.out(
          d.error(`[${e.error.code}] ${e.error.message}`, {
            at: stepLocation(this.loaded(state), state.playbook.file, st.stepId),
            title: what,
            code: e.error.code,
          }),
        );
      } else this.end(e.stepId);
    }
    if (e.type === "step.succeeded" || e.type === "step.skipped") this.end(e.stepId);
    if (e.type === "undo.succeeded" || e.type === "undo.skipped") this.end(`undo ${e.stepId}`);
    if (e.type === "run.paused" && e.stepId) this.end(e.stepId);
  }

  log(stepId: string, level: "info" | "warn" | "progress", message: string, fraction?: number): void {
    this.inner.log(stepId, level, message, fraction);
  }

  notice(message: string): void {
    this.inner.notice(message);
  }

  close(state?: RunState): void {
    this.inner.close(state);
    if (!state) return;
    const d = this.dialect;
    if (d) this.closeGroup();
    const loaded = this.loaded(state);
    if (d) {
      const sentence = resultSentence(state, loaded);
      this.io.out(d.result(sentence));
      if (d.complete) this.io.out(d.complete(outcomeOf(state), sentence));
    }
    this.writeReports(state, loaded);
  }

  /** A report that cannot be written is a warning: the release itself went as the exit code says. */
  private writeReports(state: RunState, loaded: LoadedPlaybook | undefined): void {
    const attempt = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (e) {
        this.io.err(`warning: could not write ${what}: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    if (this.io.junit) attempt(`the JUnit report ${this.io.junit}`, () => writeJunit(this.io.junit!, state));
    const markdown = () => stepSummaryMarkdown(state, loaded, this.decisions);
    const summaryFile = this.env.GITHUB_STEP_SUMMARY;
    if (this.io.ci === "github" && summaryFile)
      attempt(`the step summary ${summaryFile}`, () => fs.appendFileSync(summaryFile, markdown()));
    if (this.io.ci === "azure" && !this.io.json) {
      // Azure shows a Markdown file attached with task.uploadsummary on the run's summary page.
      const dir = this.env.AGENT_TEMPDIRECTORY || os.tmpdir();
      const file = path.join(dir, `cutover-${state.runId}-${Date.now()}.md`);
      attempt(`the run summary ${file}`, () => {
        fs.writeFileSync(file, markdown());
        this.io.out(`##vso[task.uploadsummary]${escapeAzureData(file)}`);
      });
    }
  }
}
