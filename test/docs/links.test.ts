/** The hand-written guide's links lead somewhere: its own headings and files in the repository. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const GUIDES = ["docs/playbook.md"];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, "")
    .replace(/\s/g, "-");
}

describe.each(GUIDES)("%s", (guide) => {
  const md = fs.readFileSync(path.join(ROOT, guide), "utf8");
  const prose = md.replace(/```[\s\S]*?```/g, "");
  const anchors = new Set([...prose.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
  const links = [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);

  it("links to headings that exist", () => {
    for (const l of links.filter((x) => x.startsWith("#")))
      expect(anchors.has(l.slice(1)), `${guide} links to ${l}`).toBe(true);
  });

  it("links to files that exist", () => {
    for (const l of links.filter((x) => !x.startsWith("#") && !/^[a-z]+:/.test(x))) {
      const target = path.resolve(path.dirname(path.join(ROOT, guide)), l.split("#")[0]!);
      expect(fs.existsSync(target), `${guide} links to ${l}`).toBe(true);
    }
  });
});

describe("slug", () => {
  it("follows GitHub", () => {
    expect(slug("Failure, retries and timeouts")).toBe("failure-retries-and-timeouts");
    expect(slug("The `when` field")).toBe("the-when-field");
  });
});
