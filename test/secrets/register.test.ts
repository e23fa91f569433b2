/**
 * What a command registers with the redactor before anything runs (issue 14,
 * items 1 and 4): secrets named anywhere in the playbook (steps, summary,
 * provider fields such as `urlEnv`), every CUTOVER_SECRET_* variable, secret
 * params of every type, from the environment as given and as coerced.
 */
import { describe, expect, it } from "vitest";
import { referencedSecrets, registerRunSecrets } from "../../src/api/secrets.js";
import { Redactor } from "../../src/engine/redact.js";
import { validatePlaybookText } from "../../src/playbook/validate.js";
import { registries } from "../../src/runtime.js";

const yaml = `version: 1
name: register
summary: "done with \${{ secrets.SUMMARY_KEY }}"
environment:
  db: { provider: postgres, urlEnv: DATABASE_URL }
params:
  pin: { type: number, secret: true }
  regions: { type: list, secret: true }
steps:
  - id: a
    action: exec
    with:
      command: ["echo", "Bearer \${{ secrets.API_TOKEN }}"]
      env: { X: "\${{ coalesce(secrets.FALLBACK, 'none') }}" }
`;

describe("secrets registered when a command starts", () => {
  const loaded = validatePlaybookText("p.yaml", yaml, registries);

  it("finds every secret the playbook names", () => {
    expect([...referencedSecrets(loaded)].sort()).toEqual(["API_TOKEN", "DATABASE_URL", "FALLBACK", "SUMMARY_KEY"]);
  });

  it("registers them, every CUTOVER_SECRET_* and the secret params, before any step resolves one", () => {
    const env = {
      API_TOKEN: "plain-named-token-1",
      CUTOVER_SECRET_FALLBACK: "prefixed-fallback-2",
      DATABASE_URL: "postgres://u:db-pass-3@h/db",
      CUTOVER_SECRET_UNUSED: "unused-but-secret-4",
      CUTOVER_PARAM_PIN: "00731904",
      CUTOVER_PARAM_REGIONS: "east-secret-5, west-secret-6",
      HOME: "/home/someone",
    };
    const values = { pin: 731904, regions: ["east-secret-5", "west-secret-6"] };
    const r = registerRunSecrets(new Redactor(), loaded, env, values);
    const text = Object.values(env).join(" | ");
    expect(r.redact(text)).toBe("*** | *** | *** | *** | *** | *** | /home/someone");
    expect(r.redact("pin 731904, regions west-secret-6 and east-secret-5")).toBe("pin ***, regions *** and ***");
  });
});
