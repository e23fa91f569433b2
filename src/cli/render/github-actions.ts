/**
 * GitHub Actions workflow commands, per "Workflow commands for GitHub Actions"
 * (https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions) and the escaping of
 * actions/toolkit packages/core/src/command.ts (escapeData / escapeProperty): in data `%`, CR and LF become
 * `%25`, `%0D`, `%0A`; in a property also `:` and `,` become `%3A` and `%2C`. A command must start its line.
 */
import path from "node:path";
import type { CiDialect } from "./ci-kind.js";

export function escapeGithubData(s: string): string {
  return s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

export function escapeGithubProperty(s: string): string {
  return escapeGithubData(s).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

/** Annotations attach to a file by its path in the repository, i.e. relative to GITHUB_WORKSPACE. */
function repoPath(file: string, env: NodeJS.ProcessEnv): string {
  const workspace = env.GITHUB_WORKSPACE;
  const abs = path.resolve(file);
  if (workspace) {
    const rel = path.relative(path.resolve(workspace), abs);
    if (rel && !rel.startsWith("..") && !path.isAbsolute(rel)) return rel.split(path.sep).join("/");
  }
  return path.relative(process.cwd(), abs).split(path.sep).join("/") || abs;
}

function properties(props: Record<string, string | number | undefined>): string {
  const parts = Object.entries(props)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => `${k}=${escapeGithubProperty(String(v))}`);
  return parts.length ? ` ${parts.join(",")}` : "";
}

export function githubDialect(env: NodeJS.ProcessEnv): CiDialect {
  return {
    group: (title) => `::group::${escapeGithubData(title)}`,
    endGroup: () => "::endgroup::",
    error: (message, { at, title }) =>
      `::error${properties({
        file: at ? repoPath(at.file, env) : undefined,
        line: at?.line,
        col: at?.column,
        title,
      })}::${escapeGithubData(message)}`,
    result: (message) => `::notice${properties({ title: "cutover" })}::${escapeGithubData(message)}`,
    // The runner reads a command from a line that starts with `::` once trimmed.
    inert: (line) => (/^\s*::/.test(line) ? `> ${line}` : line),
  };
}
