/**
 * Every YAML example in the docs is a real playbook: each ```yaml block of
 * docs/*.md and README.md that starts with `version: 1` must pass validation
 * (the same as `cutover validate`), and, when its params resolve from their
 * defaults, expand into a plan.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildPlan } from "../../src/engine/plan.js";
import { isCutoverError, PlaybookInvalidError } from "../../src/core/errors.js";
import { resolveParams } from "../../src/playbook/params.js";
import { validatePlaybookText } from "../../src/playbook/validate.js";
import { registries } from "../../src/runtime.js";

const ROOT = path.resolve(import.meta.dirname, "..", "..");

interface Example {
  doc: string;
  /** 1-based line of the block's first YAML line in the doc. */
  line: number;
  text: string;
}

function yamlBlocks(doc: string, markdown: string): Example[] {
  const out: Example[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    const text = lines.slice(start, end).join("\n") + "\n";
    if (/^version:\s*1\s*(#.*)?$/m.test(lines[start] ?? "")) out.push({ doc, line: start + 1, text });
    i = end;
  }
  return out;
}

const docs = [
  "README.md",
  ...fs
    .readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const examples = docs.flatMap((d) => yamlBlocks(d, fs.readFileSync(path.join(ROOT, d), "utf8")));

/** Problems located in the doc itself: block line + problem line - 1. */
function located(e: Example, err: unknown): string {
  if (err instanceof PlaybookInvalidError)
    return err.problems
      .map((p) => `${e.doc}:${e.line + p.line - 1}:${p.column}: ${p.path ? p.path + ": " : ""}${p.message}`)
      .join("\n");
  return `${e.doc}:${e.line}: ${err instanceof Error ? err.message : String(err)}`;
}

describe("YAML examples in the docs", () => {
  it("finds the examples (docs/playbook.md has many)", () => {
    expect(examples.filter((e) => e.doc === "docs/playbook.md").length).toBeGreaterThanOrEqual(10);
  });

  it.each(examples.map((e) => [`${e.doc}:${e.line}`, e] as const))("%s is a valid playbook", (_at, e) => {
    let loaded;
    try {
      loaded = validatePlaybookText(`${e.doc}:${e.line}`, e.text, registries);
    } catch (err) {
      expect.fail(`the example at ${e.doc}:${e.line} is not a valid playbook:\n${located(e, err)}`);
    }
    let params;
    try {
      params = resolveParams(loaded.playbook.params, {}, {});
    } catch (err) {
      // a required param without a default: nothing more to check without a value
      if (isCutoverError(err, "USAGE")) return;
      throw err;
    }
    try {
      buildPlan(loaded.playbook.steps, params.all);
    } catch (err) {
      expect.fail(`the example at ${e.doc}:${e.line} does not expand into a plan: ${located(e, err)}`);
    }
  });

  it("reads blocks and their lines", () => {
    const md = "# t\n\n```yaml\nversion: 1\nname: x\n```\n\n```yaml\nkey: value\n```\n```yml\nversion: 1 # c\n```\n";
    expect(yamlBlocks("d.md", md)).toEqual([
      { doc: "d.md", line: 4, text: "version: 1\nname: x\n" },
      { doc: "d.md", line: 12, text: "version: 1 # c\n" },
    ]);
  });
});
