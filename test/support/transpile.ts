/**
 * Source files for real child processes: Node 20 cannot run TypeScript and dist/ may be stale when only
 * some tests run, so the import closure of the entries is transpiled into a temp directory whose
 * `node_modules` links to the repository's (bare imports such as zod, pg, better-sqlite3 resolve).
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { ROOT } from "./cli.js";

/** Transpile `entries` (repository-relative .ts) and their relative imports into `outDir`, keeping the layout. */
export function transpileClosure(entries: string[], outDir: string): void {
  const seen = new Set<string>();
  const queue = entries.map((e) => path.join(ROOT, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const m of source.matchAll(/from\s+"(\.{1,2}\/[^"]+)\.js"/g)) {
      queue.push(path.resolve(path.dirname(file), `${m[1]}.ts`));
    }
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        verbatimModuleSyntax: false,
      },
      fileName: file,
    });
    const out = path.join(outDir, path.relative(ROOT, file)).replace(/\.ts$/, ".js");
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  writeFileSync(path.join(outDir, "package.json"), '{ "type": "module" }\n');
  symlinkSync(path.join(ROOT, "node_modules"), path.join(outDir, "node_modules"), "dir");
}
