/**
 * Issue 12, defect 3: re-deploying infra/azure/main.bicep must not undo a release. ARM replaces app settings as a
 * whole set and reapplies every property a template sets, so the template may not set release-owned settings
 * (WEBSITE_RUN_FROM_PACKAGE, APP_VERSION), `siteConfig.appSettings`, or (after the first deployment) linuxFxVersion.
 * There is no Bicep compiler on the test machine: this reads the template's text, comments left out.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/cli.js";

const source = readFileSync(path.join(ROOT, "infra/azure/main.bicep"), "utf8");

/** The template without comments and @description(...) texts (they mention the names this test looks for). */
const code = source
  .split("\n")
  .filter((l) => !/^\s*(\/\/|@description\()/.test(l))
  .map((l) => l.replace(/\s\/\/ .*$/, ""))
  .join("\n");

/** The body of `resource <name> '<type>' = { … }`, by brace matching. */
function resource(name: string): string {
  const start = code.search(new RegExp(`^resource ${name} '`, "m"));
  expect(start, `resource ${name}`).toBeGreaterThanOrEqual(0);
  let depth = 0;
  for (let i = code.indexOf("{", start); i < code.length; i++) {
    if (code[i] === "{") depth++;
    if (code[i] === "}" && --depth === 0) return code.slice(start, i + 1);
  }
  throw new Error(`unbalanced braces in resource ${name}`);
}

describe("infra/azure/main.bicep can be re-run after releases", () => {
  it("sets no release-owned setting and no siteConfig.appSettings anywhere", () => {
    expect(code).not.toMatch(/\bappSettings\s*:/);
    expect(code).not.toMatch(/WEBSITE_RUN_FROM_PACKAGE/);
    expect(code).not.toMatch(/\bAPP_VERSION\b/);
  });

  it("sets linuxFxVersion on the site and the slot only from initialRuntime, which is empty by default", () => {
    expect(code).toMatch(/^param initialRuntime string = ''$/m);
    const uses = code.match(/linuxFxVersion[^\n]*/g) ?? [];
    expect(uses).toEqual(["linuxFxVersion: initialRuntime })"]);
    expect(code).toMatch(/empty\(initialRuntime\) \? \{\} : \{ linuxFxVersion: initialRuntime \}/);
    for (const r of ["site", "staging"]) expect(resource(r)).not.toMatch(/linuxFxVersion/);
  });

  it("writes infra-owned settings merged over each slot's current ones (list() first, infra second)", () => {
    for (const [name, slot, type] of [
      ["siteAppSettings", "site", "Microsoft.Web/sites/config@"],
      ["stagingAppSettings", "staging", "Microsoft.Web/sites/slots/config@"],
    ] as const) {
      const body = resource(name);
      expect(body).toContain(`'${type}`);
      expect(body).toMatch(/name: 'appsettings'/);
      expect(body).toMatch(
        new RegExp(
          `properties: union\\(list\\('\\$\\{${slot}\\.id\\}/config/appsettings', '[0-9-]+'\\)\\.properties, infraSettings,`,
        ),
      );
    }
  });
});
