/** A secret straddling the 8 KiB line cut of TailCapture is never printed (issue 11, defect 3). */
import { describe, expect, it } from "vitest";
import { TailCapture } from "../../src/actions/support/output-capture.js";
import { exec } from "../../src/actions/exec.js";
import { Redactor } from "../../src/engine/redact.js";
import { makeContext } from "../support/context.js";

const SECRET = "straddle-SECRET-0123456789abcdef";
const LINE = 8 * 1024;

function capture(chunks: string[]): { lines: string[]; value: string } {
  const r = new Redactor();
  r.add(SECRET);
  const lines: string[] = [];
  const c = new TailCapture(
    64 * 1024,
    (l) => lines.push(r.redact(l)),
    (t) => r.redact(t),
  );
  for (const ch of chunks) c.push(ch);
  c.flush();
  return { lines, value: r.redact(c.value) };
}

/** No piece of the secret at least 6 characters long survives in `text`. */
function leaks(text: string): boolean {
  for (let i = 0; i + 6 <= SECRET.length; i++) if (text.includes(SECRET.slice(i, i + 6))) return true;
  return false;
}

describe("TailCapture and a secret across the line cut", () => {
  for (const at of [LINE - 10, LINE - 1, LINE - SECRET.length + 1, 2 * LINE - 5]) {
    it(`masks a secret starting at ${at} of an endless line, in one chunk or char by char`, () => {
      const text = "x".repeat(at) + SECRET + "y".repeat(3 * LINE);
      for (const chunks of [[text], text.match(/[\s\S]{1,997}/g)!]) {
        const { lines, value } = capture(chunks);
        expect(lines.join("")).toContain("***");
        expect(lines.some(leaks)).toBe(false);
        expect(leaks(value)).toBe(false);
        expect(lines.every((l) => l.length <= LINE)).toBe(true);
      }
    });
  }

  it("exec logs a secret that straddles the cut as *** only", async () => {
    const { ctx, seen } = makeContext({ secrets: [SECRET] });
    const script = `process.stdout.write("x".repeat(${LINE - 7}) + process.argv[1] + "y".repeat(${2 * LINE}))`;
    const out = await exec.run(exec.with.parse({ command: ["node", "-e", script, SECRET] }), ctx);
    expect(seen.info.join("\n")).toContain("***");
    expect(seen.info.some(leaks)).toBe(false);
    expect(leaks(String(out.outputs?.stdout))).toBe(false);
  });
});
