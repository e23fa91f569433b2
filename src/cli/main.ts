#!/usr/bin/env node
/**
 * The `cutover` binary. Usage errors from commander exit 2 (invalid usage);
 * everything else sets its exit code through src/cli/shared.ts.
 */
import { CommanderError } from "commander";
import { buildProgram } from "./program.js";

// A closed pipe (`cutover run … | head`) must not kill a run halfway: stop printing, keep working.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
  });
}

const program = await buildProgram(process.argv.slice(2));
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version are "errors" with exit code 0 in commander's exitOverride mode.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    throw e;
  }
}
