/** `cutover unlock <environment> [--force]`. */
import type { Command } from "commander";
import { unlock } from "../../api/unlock.js";
import { withIO } from "../shared.js";

export function register(program: Command): void {
  program
    .command("unlock")
    .description(
      "free an environment's lease: an expired one, or one whose holder crashed; --force takes a live one " +
        "(journaled in the holder's run)",
    )
    .argument("<environment>", "the environment name (the playbook's environment.name, or its name)")
    .option("--force", "take the lease even if its holder looks alive")
    .option(
      "-f, --playbook <file>",
      "the playbook whose environment.state holds the lease (default: the local file store)",
    )
    .action(
      withIO(async (io, environment: string, opts: { force?: boolean; playbook?: string }) => {
        const r = await unlock(environment, { stateDir: io.stateDir, playbook: opts.playbook, force: opts.force });
        if (io.json)
          io.out(
            JSON.stringify({
              type: "unlocked",
              environment,
              previous: r.released ?? null,
              journaledIn: r.journaledIn ?? null,
            }),
          );
        else if (!r.released) io.out(`environment ${environment} was not locked`);
        else
          io.out(
            `unlocked ${environment} (was held by ` +
              `${r.released.holder})${r.journaledIn ? `; journaled in run ${r.journaledIn}` : ""}`,
          );
      }),
    );
}
