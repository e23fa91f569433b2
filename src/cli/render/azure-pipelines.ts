/**
 * Azure Pipelines logging commands, per "Logging commands"
 * (https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands) and the escaping of
 * microsoft/azure-pipelines-task-lib node/taskcommand.ts: in the message `%`, CR and LF become `%AZP25`, `%0D`,
 * `%0A`; in a property value also `;` and `]` become `%3B` and `%5D`. The agent reads them from stdout.
 */
import path from "node:path";
import type { CiDialect } from "./ci-kind.js";

export function escapeAzureData(s: string): string {
  return s.replaceAll("%", "%AZP25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

export function escapeAzureProperty(s: string): string {
  return escapeAzureData(s).replaceAll("]", "%5D").replaceAll(";", "%3B");
}

function properties(props: Record<string, string | number | undefined>): string {
  return Object.entries(props)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => `${k}=${escapeAzureProperty(String(v))};`)
    .join("");
}

const oneLine = (s: string): string => s.replace(/\r\n|\r|\n/g, " ");

/** The agent finds `##vso[` anywhere in a line (and `##[` formatting commands): break the marker. */
const inert = (line: string): string => line.replace(/##(?=vso\[|\[)/g, "# #");

const RESULT = { ok: "Succeeded", issues: "SucceededWithIssues", failed: "Failed" } as const;

export function azureDialect(): CiDialect {
  return {
    // Formatting commands (`##[group]`, `##[section]`) are shown as written, not unescaped: one plain line.
    group: (title) => `##[group]${inert(oneLine(title))}`,
    endGroup: () => "##[endgroup]",
    // The docs ask for absolute source paths.
    error: (message, { at, code }) =>
      `##vso[task.logissue ${properties({
        type: "error",
        sourcepath: at ? path.resolve(at.file) : undefined,
        linenumber: at?.line,
        columnnumber: at?.column,
        code,
      })}]${escapeAzureData(message)}`,
    result: (message) => `##[section]${inert(oneLine(message))}`,
    complete: (outcome, message) => `##vso[task.complete result=${RESULT[outcome]};]${escapeAzureData(message)}`,
    inert,
  };
}
