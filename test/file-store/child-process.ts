/**
 * Real child processes running the file store, for the cross-process tests.
 * Node 20 cannot run TypeScript, and dist/ may be stale when only these
 * tests run, so the store's source (the import closure of file-store.ts) is
 * transpiled into a temp directory once; child scripts import it from there.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Transpile `entry` (repo-relative .ts) and its relative imports into `outDir`, keeping the layout. */
export async function transpileClosure(entry: string, outDir: string): Promise<void> {
  const seen = new Set<string>();
  const queue = [path.join(repoRoot, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, "utf8");
    for (const m of source.matchAll(/from\s+"(\.{1,2}\/[^"]+)\.js"/g)) queue.push(path.resolve(path.dirname(file), `${m[1]}.ts`));
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: file,
    });
    const out = path.join(outDir, path.relative(repoRoot, file)).replace(/\.ts$/, ".js");
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, outputText);
  }
  await writeFile(path.join(outDir, "package.json"), '{ "type": "module" }\n');
  // Bare imports (zod...) resolve through the repository's node_modules.
  await symlink(path.join(repoRoot, "node_modules"), path.join(outDir, "node_modules"), "dir");
}

export interface Child {
  proc: ChildProcess;
  /** Resolves with stdout once the process exits 0; rejects with stderr otherwise. */
  done: Promise<string>;
  /** Resolves when stdout has printed `line`. */
  waitFor(line: string): Promise<void>;
}

export function runNode(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const waiters: { line: string; resolve: () => void }[] = [];
  proc.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString();
    for (const w of waiters.splice(0)) {
      if (stdout.split("\n").includes(w.line)) w.resolve();
      else waiters.push(w);
    }
  });
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<string>((resolve, reject) => {
    proc.on("error", reject);
    proc.on("exit", (code, signal) => (code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code ?? signal}: ${stderr}`))));
  });
  done.catch(() => undefined); // callers that kill the child on purpose do not await it
  return {
    proc,
    done,
    waitFor: (line) =>
      new Promise<void>((resolve, reject) => {
        if (stdout.split("\n").includes(line)) return resolve();
        waiters.push({ line, resolve });
        done.then(() => reject(new Error(`child exited before printing ${line}`)), reject);
      }),
  };
}
