/**
 * Secrets used where redaction cannot follow them are refused before
 * anything runs, located (issue 14, items 3 and 4): a transformed secret
 * (`upper()`), a compared one, a matrix over a secret list; and a secret
 * param's value is never echoed in a usage error.
 */
import { describe, expect, it } from "vitest";
import { CutoverError, PlaybookInvalidError, type Problem } from "../../src/core/errors.js";
import { resolveParams } from "../../src/playbook/params.js";
import { validatePlaybookText } from "../../src/playbook/validate.js";
import { registries } from "../../src/runtime.js";

function problems(yaml: string): Problem[] {
  try {
    validatePlaybookText("p.yaml", yaml, registries);
  } catch (e) {
    expect(e).toBeInstanceOf(PlaybookInvalidError);
    return (e as PlaybookInvalidError).problems;
  }
  return [];
}

const at = (p: Problem) => `${p.line}:${p.column} ${p.message}`;
const playbook = (expr: string) => `version: 1
name: t
params:
  token: { type: string, secret: true }
  regions: { type: list, secret: true }
  open: { type: list, default: [a, b] }
steps:
  - id: s
    action: exec
    with:
      command: ["echo", "${expr}"]
`;

describe("secrets that redaction could not follow", () => {
  for (const [expr, where] of [
    ["${{ upper(secrets.API_TOKEN) }}", "upper() of a secret (secrets.API_TOKEN)"],
    ["${{ lower(params.token) }}", "lower() of a secret (the secret param token)"],
    ["${{ toJSON(env.CUTOVER_SECRET_X) }}", "toJSON() of a secret (env.CUTOVER_SECRET_X)"],
    ["${{ join(params.regions, '-') }}", "join() of a secret (the secret param regions)"],
    ["${{ secrets.API_TOKEN == 'abc' }}", "'==' with a secret (secrets.API_TOKEN)"],
    ["x${{ contains(coalesce(secrets.A, 'b'), 'z') }}", "contains() of a secret (secrets.A)"],
  ] as const) {
    it(`refuses ${expr}, located`, () => {
      const found = problems(playbook(expr)).map(at);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(/^11:\d+ /);
      expect(found[0]).toContain(where);
    });
  }

  it("accepts a secret passed as it is (alone, in text, through coalesce)", () => {
    expect(problems(playbook("Bearer ${{ secrets.API_TOKEN }} ${{ coalesce(params.token, secrets.B) }}"))).toEqual([]);
  });

  it("refuses a matrix over a secret list: its values would become journaled step ids", () => {
    const matrix = '    matrix: { region: "${{ params.regions }}" }\n';
    const yaml = playbook("${{ matrix.region }}").replace("    action: exec\n", `    action: exec\n${matrix}`);
    const found = problems(yaml).map(at);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^10:\d+ .*a matrix over a secret \(the secret param regions\)/);
    const open = yaml.replace("params.regions }}", "params.open }}");
    expect(problems(open)).toEqual([]);
  });
});

describe("usage errors about secret params", () => {
  const specs = {
    pin: { type: "number" as const, secret: true, required: false },
    tier: { type: "string" as const, secret: true, required: false, allowed: ["gold", "silver"] },
    flag: { type: "boolean" as const, secret: true, required: false },
  };
  it("say what is wrong without the value", () => {
    const SECRET = "usage-SENTINEL-93b7";
    let err: unknown;
    try {
      resolveParams(specs, {}, { CUTOVER_PARAM_PIN: SECRET, CUTOVER_PARAM_TIER: SECRET, CUTOVER_PARAM_FLAG: SECRET });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CutoverError);
    const text = JSON.stringify({ message: (err as Error).message, details: (err as CutoverError).details });
    expect(text).toContain('param \\"pin\\" must be a number');
    expect(text).toContain('param \\"tier\\" must be one of gold, silver');
    expect(text).toContain('param \\"flag\\" must be true or false');
    expect(text).not.toContain(SECRET);
  });
});
