/** `cutover migrate ...` run in-process: its output (stdout and stderr) and exit code. */
import { Command } from "commander";
import { register } from "../../src/cli/commands/migrate.js";

export async function cli(args: string[]): Promise<{ out: string; code: number }> {
  const program = new Command("cutover")
    .option("-o, --output <format>", "", "text")
    .option("--state-dir <dir>")
    .exitOverride();
  register(program);
  let out = "";
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stderr.write;
  process.exitCode = 0;
  try {
    await program.parseAsync(["node", "cutover", ...args]);
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, code };
}
