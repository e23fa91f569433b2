/**
 * Where cutover is installed, and its version. Found by walking up from this module to the package.json named
 * `cutover`, so it holds wherever the module sits: src/ under vitest, dist/src/ after tsc, or the bundled CLI in
 * dist/cli/ (tools/bundle-cli.mjs), whose chunks live at another depth.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function findPackageRoot(): { dir: string; version: string } | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
        if (pkg.name === "cutover") return { dir, version: pkg.version ?? "0.0.0" };
      } catch {
        /* not ours: keep walking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

const found = findPackageRoot();

export const CUTOVER_VERSION: string = found?.version ?? "0.0.0";

/** The package root (holds demo/ and dist/). */
export function packageRoot(): string {
  if (!found) throw new Error(`cannot find cutover's package.json above ${fileURLToPath(import.meta.url)}`);
  return found.dir;
}
