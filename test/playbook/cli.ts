/**
 * Running the built `cutover` CLI from tests: one spawned process per
 * command line (bounded concurrency: the machine has 2 cores), or many
 * command lines in one process through in-process-cli.mjs.
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
export const CLI = path.join(ROOT, "dist/src/cli/main.js");
const PROGRAM = path.join(ROOT, "dist/src/cli/program.js");

export interface CliResult {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

/** The suites exercise dist/: refuse to test a missing or stale build rather than report confusing failures. */
export function requireBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const built = fs.statSync(path.join(ROOT, "dist/src/playbook/validate.js")).mtimeMs;
  for (const dir of ["src/playbook", "src/cli"]) {
    for (const f of fs.readdirSync(path.join(ROOT, dir))) {
      if (f.endsWith(".ts") && fs.statSync(path.join(ROOT, dir, f)).mtimeMs > built + 1000) {
        throw new Error(`dist/ is older than ${dir}/${f}: run \`npm run build\` first`);
      }
    }
  }
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cutover-${prefix}-`));
}

/** Run `node dist/src/cli/main.js ...args` in `cwd`; never rejects. */
export function spawnCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (e) => resolve({ code: `spawn failed: ${e.message}`, stdout, stderr }));
    child.on("close", (code, signal) => resolve({ code: code ?? `signal ${signal}`, stdout, stderr }));
  });
}

/** Many command lines, one process (see in-process-cli.mjs). */
export function runInOneProcess(jobs: { cwd: string; args: string[] }[]): Promise<CliResult[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [path.join(import.meta.dirname, "in-process-cli.mjs"), PROGRAM],
      { env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`in-process-cli failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as CliResult[]);
      },
    );
    child.stdin!.end(JSON.stringify(jobs));
  });
}

/** Map with at most `limit` promises in flight, results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Every file below `dir` (empty when it does not exist). */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => !d.isDirectory()).map((d) => path.join(d.parentPath, d.name));
}
