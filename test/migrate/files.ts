import { writeFileSync } from "node:fs";
import path from "node:path";

export function rewriteFile(dir: string, name: string, text: string): void {
  writeFileSync(path.join(dir, name), text);
}
