/** `cutover schema`: the playbook JSON Schema (for editors), or the actions' input schemas. */
import type { Command } from "commander";
import { actions } from "../../actions/registry.js";
import { providers } from "../../providers/registry.js";
import { actionsJsonSchema, playbookJsonSchema } from "../../playbook/json-schema.js";
import { withIO } from "../shared.js";

export function register(program: Command): void {
  program
    .command("schema")
    .description("print the playbook JSON Schema (point your editor's YAML support at it)")
    .option("--actions", "print each action's input schema instead")
    .action(
      withIO(async (io, opts: { actions?: boolean }) => {
        const schema = opts.actions ? actionsJsonSchema(actions) : playbookJsonSchema(actions, providers);
        io.out(JSON.stringify(schema, null, 2));
      }),
    );
}
