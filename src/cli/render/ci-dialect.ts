/** Which CI dialect a command prints in (GitHub Actions, Azure Pipelines, or none), apart from the CI renderer so
 * that the error printer every command loads does not load the renderer and what it reads. */
import type { CliIO } from "../io.js";
import type { CiDialect } from "./ci-kind.js";
import { githubDialect } from "./github-actions.js";
import { azureDialect } from "./azure-pipelines.js";

export function dialectFor(io: CliIO, env: NodeJS.ProcessEnv): CiDialect | undefined {
  if (io.ci === "github") return githubDialect(env);
  if (io.ci === "azure") return azureDialect();
  return undefined;
}
