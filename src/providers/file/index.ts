/**
 * `provider: file`: the embedded default state store. Journal and leases
 * (capability `state`) and a flag file (capability `flags`) under a
 * project-local directory; no service to run. See docs/state.md.
 */
import path from "node:path";
import { z } from "zod";
import type { ProviderDefinition } from "../../core/provider.js";
import { Flags, RunState } from "../../core/capabilities.js";
import { FileStore } from "./file-store.js";

export const FileProviderConfig = z
  .object({
    provider: z.literal("file").optional().describe("The provider kind, `file`."),
    dir: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The state directory holding runs/, leases/ and flags.json. Default: the CLI's state directory " +
          "(`.cutover` in the working directory, or `--state-dir`). A relative path resolves against the " +
          "playbook's directory.",
      ),
    flagsFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The JSON file of flags for `flag.set`. Default: `flags.json` in the state directory. A relative path " +
          "resolves against the playbook's directory.",
      ),
  })
  .strict()
  .describe("Journal, leases and flags in local files (the embedded default).");

export type FileProviderConfig = z.infer<typeof FileProviderConfig>;

export const fileProvider: ProviderDefinition<FileProviderConfig, FileStore> = {
  kind: "file",
  summary:
    "Run journals, environment leases and flags in a project-local " +
    "directory (JSON lines, fsync'd, cross-process locks).",
  config: FileProviderConfig,
  capabilities: [RunState, Flags],
  create(config, ctx) {
    const dir = config.dir !== undefined ? path.resolve(ctx.baseDir, config.dir) : path.resolve(ctx.stateDir);
    const flagsFile = config.flagsFile !== undefined ? path.resolve(ctx.baseDir, config.flagsFile) : undefined;
    return new FileStore(flagsFile !== undefined ? { dir, flagsFile } : { dir });
  },
};

export { FileStore, type FileStoreOptions } from "./file-store.js";
export { FileFlagStore } from "./flag-store.js";
