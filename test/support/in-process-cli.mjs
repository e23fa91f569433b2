// Runs many `cutover` command lines in ONE Node process over the built
// program (dist/src/cli/program.js), capturing each one's stdout, stderr and
// exit code. Loading the CLI costs most of a second of CPU, so the malformed
// suite spawns the real binary once per fixture for `run` (where "nothing
// ran" must be observed from outside) and checks `validate` through here.
//
// Input (stdin): JSON [{ cwd, args }]. Output (stdout): JSON [{ code, stdout, stderr }].
import { pathToFileURL } from "node:url";

const programFile = process.argv[2];
if (!programFile) throw new Error("usage: node in-process-cli.mjs <dist/src/cli/program.js>");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const jobs = JSON.parse(input);
const { buildProgram } = await import(pathToFileURL(programFile).href);

const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);
const results = [];
for (const job of jobs) {
  let stdout = "";
  let stderr = "";
  process.stdout.write = (chunk) => ((stdout += String(chunk)), true);
  process.stderr.write = (chunk) => ((stderr += String(chunk)), true);
  process.chdir(job.cwd);
  process.exitCode = undefined;
  let code;
  try {
    await (await buildProgram(job.args)).parseAsync(["node", "cutover", ...job.args]);
    code = process.exitCode ?? 0;
  } catch (e) {
    // What src/cli/main.ts does with commander's usage errors.
    if (typeof e?.exitCode === "number") code = e.exitCode === 0 ? 0 : 2;
    else code = `threw: ${e?.stack ?? e}`;
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
  results.push({ code, stdout, stderr });
}
process.exitCode = 0;
realOut(JSON.stringify(results));
