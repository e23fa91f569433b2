/** Variants of playbooks/local-demo.yaml for end-to-end tests. */
import fs from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { ROOT } from "./cli.js";

/**
 * The demo playbook, copied into `dir` with absolute paths to demo/, and
 * optionally a `gate.approval` step `hold` inserted after step `holdAfter`
 * (so a test can stop the run there and abort it).
 */
export function demoPlaybook(dir: string, opts: { holdAfter?: string; name?: string } = {}): string {
  const text = fs
    .readFileSync(path.join(ROOT, "playbooks", "local-demo.yaml"), "utf8")
    .replaceAll("../demo/", `${ROOT}/demo/`)
    .replaceAll("../examples/", `${ROOT}/examples/`);
  const doc = parseDocument(text);
  if (opts.holdAfter !== undefined) {
    const steps = doc.get("steps") as { items: { get(k: string): unknown }[] };
    const index = steps.items.findIndex((s) => s.get("id") === opts.holdAfter);
    if (index < 0 && opts.holdAfter !== "") throw new Error(`no step ${opts.holdAfter}`);
    const hold = doc.createNode({ id: "hold", action: "gate.approval", with: { message: "abort me" } });
    steps.items.splice(index + 1, 0, hold as never);
  }
  const file = path.join(dir, `${opts.name ?? "local-demo"}.yaml`);
  fs.writeFileSync(file, doc.toString());
  return file;
}
