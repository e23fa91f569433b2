/** The `local` provider's configuration (an `environment:` entry with `provider: local`). */
import { z } from "zod";
import { WorkersConfig } from "../../core/slots.js";

const LocalAppConfig = z
  .object({
    version: z.string().min(1).describe("Label of what runs, shown by `status` (e.g. v1)."),
    command: z
      .array(z.string())
      .min(1)
      .describe(
        'argv of the app, e.g. ["node", "../demo/v1/server.js"]; ' +
          "`node` means the Node binary running cutover. No shell.",
      ),
    cwd: z.string().optional().describe("Working directory, relative to the playbook's directory (the default)."),
    env: z
      .record(z.string(), z.string())
      .optional()
      .describe("Extra environment variables for the app (values are never shown)."),
    healthPath: z.string().default("/health").describe("Path that answers 2xx once the app is ready."),
    workers: WorkersConfig,
  })
  .strict();

export const LocalProviderConfig = z
  .object({
    provider: z.literal("local").optional().describe("The provider kind, `local`."),
    dir: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Directory of the local environment (state.json, tokens, logs, the demo database). Default: `local/` in " +
          "the state directory (`.cutover/local`). A relative path resolves against the playbook's directory.",
      ),
    publicPort: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .describe(
        "Public loopback port of the reverse proxy when the environment is first created (0 or absent: any free " +
          "port). An existing environment keeps its port.",
      ),
    baseline: LocalAppConfig.optional().describe(
      "What the blue slot runs when the environment is first created. Default: the demo app v1 of this repository.",
    ),
  })
  .strict()
  .describe(
    "A blue/green environment on this machine: two app slots, a reverse proxy on one loopback port, a flag " +
      "store, run by a background supervisor.",
  );

export type LocalProviderConfig = z.infer<typeof LocalProviderConfig>;
