/**
 * A command started by `exec` or `wait.until` does not inherit cutover's
 * secret variables unless the step passes them in `env:` (issue 14, item 2).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commandEnv } from "../../src/actions/support/command-env.js";
import { exec } from "../../src/actions/exec.js";
import { makeContext } from "../support/context.js";

const SENTINEL = "cmd-env-SENTINEL-4f1c9a";
const saved = { ...process.env };

beforeEach(() => {
  process.env.CUTOVER_SECRET_API_TOKEN = SENTINEL;
  process.env.CUTOVER_PARAM_DB_PASSWORD = `${SENTINEL}-param`;
  process.env.PLAIN_NAMED_TOKEN = `${SENTINEL}-plain`;
  process.env.HARMLESS = "visible";
});
afterEach(() => {
  for (const k of ["CUTOVER_SECRET_API_TOKEN", "CUTOVER_PARAM_DB_PASSWORD", "PLAIN_NAMED_TOKEN", "HARMLESS"]) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe("the environment of a command", () => {
  it("leaves out CUTOVER_SECRET_*, CUTOVER_PARAM_* and variables holding a known secret", () => {
    const redact = (t: string) => t.split(`${SENTINEL}-plain`).join("***");
    const env = commandEnv({ GIVEN: "1" }, true, redact);
    expect(env.HARMLESS).toBe("visible");
    expect(env.GIVEN).toBe("1");
    expect(env.CUTOVER_SECRET_API_TOKEN).toBeUndefined();
    expect(env.CUTOVER_PARAM_DB_PASSWORD).toBeUndefined();
    expect(env.PLAIN_NAMED_TOKEN).toBeUndefined();
  });

  it("passes a secret the step gives explicitly in env:", () => {
    const env = commandEnv({ CUTOVER_SECRET_API_TOKEN: SENTINEL, TOKEN: SENTINEL }, true);
    expect(env.CUTOVER_SECRET_API_TOKEN).toBe(SENTINEL);
    expect(env.TOKEN).toBe(SENTINEL);
  });

  it("an exec child sees none of cutover's secrets in its environment", async () => {
    const { ctx } = makeContext({ secrets: [`${SENTINEL}-plain`] });
    const script = "console.log(JSON.stringify(process.env))";
    const out = await exec.run(exec.with.parse({ command: ["node", "-e", script], parseJson: true }), ctx);
    const seen = out.outputs as Record<string, unknown>;
    expect(seen.HARMLESS).toBe("visible");
    expect(Object.keys(seen).filter((k) => /^CUTOVER_(SECRET|PARAM)_|PLAIN_NAMED_TOKEN/.test(k))).toEqual([]);
  });
});
