/** `cutover validate <playbook>`: every problem at once, located; changes nothing. */
import type { Command } from "commander";
import { loadPlaybook } from "../../playbook/validate.js";
import { registries } from "../../runtime.js";
import { withIO } from "../shared.js";
import { buildPlan, plannedSteps } from "../../engine/plan.js";

export function register(program: Command): void {
  program
    .command("validate")
    .description(
      "check a playbook: YAML, schema, actions and their inputs, providers, step references and expressions; " +
        "changes nothing",
    )
    .argument("<playbook...>", "one or more playbook files")
    .action(
      withIO(async (io, files: string[]) => {
        for (const file of files) {
          const loaded = loadPlaybook(file, registries);
          let steps: unknown[] | undefined;
          try {
            steps = plannedSteps(buildPlan(loaded.playbook.steps, {}));
          } catch {
            steps = undefined; // a matrix over a param: its size is known only at run time
          }
          if (io.json)
            io.out(
              JSON.stringify({
                type: "valid",
                file,
                name: loaded.playbook.name,
                environment: loaded.environment,
                hash: loaded.hash,
              }),
            );
          else
            io.out(
              `${io.c.green("✔")} ${file}: playbook ${loaded.playbook.name}, environment ${loaded.environment}, ` +
                `${loaded.playbook.steps.length} top-level steps${steps ? ` (${steps.length} to run)` : ""}`,
            );
        }
      }),
    );
}
