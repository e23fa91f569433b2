/**
 * docs/reference/ is generated from the registries and schemas; this fails
 * when it is out of date (an action, provider or field was added or changed).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { actions } from "../../src/actions/registry.js";
import { generateReference, REGENERATE } from "../../src/docs/reference.js";
import { playbookJsonSchema } from "../../src/playbook/json-schema.js";
import { providers } from "../../src/providers/registry.js";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const OUT = path.join(ROOT, "docs", "reference");
const files = generateReference(actions, providers);

describe("docs/reference/", () => {
  it.each(Object.keys(files))("%s is up to date", (name) => {
    const file = path.join(OUT, name);
    const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "(missing)";
    if (current !== files[name]) {
      expect.fail(
        `docs/reference/${name} is out of date with the schemas and registries: run \`${REGENERATE}\` and commit ` +
          `docs/reference/`,
      );
    }
  });

  it("holds no file the generator does not write", () => {
    expect(fs.readdirSync(OUT).sort()).toEqual(Object.keys(files).sort());
  });

  it("documents every registered action and provider", () => {
    for (const a of actions) expect(files["actions.md"]).toContain(`## \`${a.kind}\``);
    for (const p of providers) expect(files["providers.md"]).toContain(`## \`${p.kind}\``);
  });

  it("documents every top-level and step field of the playbook", () => {
    const md = files["playbook.md"]!;
    for (const f of ["version", "name", "description", "environment", "params", "defaults", "lease", "steps", "notify"])
      expect(md).toContain(`| \`${f}\` |`);
    for (const f of [
      "id",
      "action",
      "with",
      "timeout",
      "retry",
      "onFailure",
      "undo",
      "when",
      "resume",
      "matrix",
      "maxParallel",
      "parallel",
    ])
      expect(md).toContain(`| \`${f}\` |`);
    expect(md).toMatch(/\| `onFailure` \| `"pause"` \\\| `"abort"` \\\| `"continue"` \|/);
    expect(md).toMatch(/\| `maxRetries` \| integer \(0–100\) \| {2}\| `0` \| How many times/);
  });

  it("ships the JSON Schema `cutover schema` prints", () => {
    expect(JSON.parse(files["playbook.schema.json"]!)).toEqual(playbookJsonSchema(actions, providers));
  });

  it("has a JSON Schema whose every $ref resolves, with each action's inputs hooked to the steps", () => {
    const text = files["playbook.schema.json"]!;
    const schema = JSON.parse(text) as {
      $defs: Record<string, { allOf?: unknown[] }>;
      properties: { steps: { items: { $ref: string } } };
    };
    for (const m of text.matchAll(/"\$ref": "#\/\$defs\/([^"]+)"/g))
      expect(schema.$defs[m[1]!], `dangling $ref ${m[1]}`).toBeDefined();
    const step = schema.$defs[schema.properties.steps.items.$ref.replace("#/$defs/", "")]!;
    expect(step.allOf).toEqual([{ $ref: "#/$defs/actionInputs" }]);
  });

  it("links only to anchors that exist", () => {
    for (const [name, md] of Object.entries(files)) {
      if (!name.endsWith(".md")) continue;
      const anchors = new Set([...md.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]));
      for (const m of md.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors.has(m[1]), `${name} links to #${m[1]}`).toBe(true);
    }
  });
});
