/**
 * Which CI service runs this process, from the variable each sets on every job:
 * GitHub Actions sets GITHUB_ACTIONS=true, Azure Pipelines sets TF_BUILD=True (docs/ci.md cites both).
 */
export type CiKind = "github" | "azure";

export function detectCi(env: NodeJS.ProcessEnv): CiKind | undefined {
  if (env.GITHUB_ACTIONS === "true") return "github";
  if (env.TF_BUILD?.toLowerCase() === "true") return "azure";
  return undefined;
}

/** Where a message points in a file (the playbook), as the CI service's annotations take it. */
export interface SourceAt {
  file: string;
  line?: number;
  column?: number;
}

/** The lines one CI service reads from stdout to group, annotate and finish a step. */
export interface CiDialect {
  group(title: string): string;
  endGroup(): string;
  error(message: string, opts: { at?: SourceAt; title?: string; code?: string }): string;
  /** The result line: a notice on GitHub, a section line on Azure. */
  result(message: string): string;
  /** Azure's task.complete; GitHub has none (the exit code decides). */
  complete?(outcome: "ok" | "issues" | "failed", message: string): string;
  /**
   * A line of data printed as-is (a step's log, an event sentence) made unable to act as a command: a step's
   * output must not set variables or stop the log's command processing.
   */
  inert(line: string): string;
}
