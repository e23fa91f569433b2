/** From steps and params to the execution tree: groups, matrix members, their ids. */
import { describe, expect, it } from "vitest";
import { buildPlan, leafSpecs, MAX_MATRIX_MEMBERS, plannedSteps } from "../../src/engine/plan.js";
import { isCutoverError } from "../../src/core/errors.js";
import type { StepSpec } from "../../src/playbook/schema.js";

const step = (id: string, extra: Partial<StepSpec> = {}): StepSpec => ({
  id,
  action: "exec",
  with: { command: ["true"] },
  ...extra,
});

function errorOf(fn: () => unknown): { code: string; message: string; hint?: string } {
  try {
    fn();
  } catch (e) {
    expect(isCutoverError(e)).toBe(true);
    return e as { code: string; message: string; hint?: string };
  }
  throw new Error("no error");
}

describe("buildPlan", () => {
  it("keeps a plain step as one member with its own id", () => {
    const plan = buildPlan([step("deploy")], {});
    expect(plan).toEqual([
      { kind: "step", spec: step("deploy"), members: [{ id: "deploy", stepId: "deploy" }], maxParallel: 1 },
    ]);
  });

  it("expands a matrix into one member per value, in order, named by the value", () => {
    const [node] = buildPlan([step("swap", { matrix: { app: ["app-1", "app-2", 3, true] }, maxParallel: 2 })], {});
    expect(node).toMatchObject({ kind: "step", maxParallel: 2 });
    expect(plannedSteps([node!])).toEqual([
      { id: "swap[app-1]", stepId: "swap", matrix: { app: "app-1" } },
      { id: "swap[app-2]", stepId: "swap", matrix: { app: "app-2" } },
      { id: "swap[3]", stepId: "swap", matrix: { app: 3 } },
      { id: "swap[true]", stepId: "swap", matrix: { app: true } },
    ]);
  });

  it("runs matrix members one at a time unless maxParallel says otherwise", () => {
    expect(buildPlan([step("swap", { matrix: { app: ["a", "b"] } })], {})[0]).toMatchObject({ maxParallel: 1 });
  });

  it("crosses several keys, the first key varying slowest", () => {
    const ids = plannedSteps(
      buildPlan([step("deploy", { matrix: { region: ["eu", "us"], app: ["web", "api", "worker"] } })], {}),
    ).map((m) => m.id);
    expect(ids).toEqual([
      "deploy[eu,web]",
      "deploy[eu,api]",
      "deploy[eu,worker]",
      "deploy[us,web]",
      "deploy[us,api]",
      "deploy[us,worker]",
    ]);
  });

  it("takes a matrix from a list param", () => {
    const members = plannedSteps(
      buildPlan([step("swap", { matrix: { region: "${{ params.regions }}" } })], { regions: ["eastus", "westus"] }),
    );
    expect(members).toEqual([
      { id: "swap[eastus]", stepId: "swap", matrix: { region: "eastus" } },
      { id: "swap[westus]", stepId: "swap", matrix: { region: "westus" } },
    ]);
  });

  it("is deterministic: the same params give the same member ids (resume rebuilds them)", () => {
    const steps = [step("a", { matrix: { r: "${{ params.regions }}", n: [1, 2] } })];
    const params = { regions: ["x", "y"] };
    expect(plannedSteps(buildPlan(steps, params))).toEqual(plannedSteps(buildPlan(steps, params)));
  });

  it("refuses a matrix param that is missing or empty, with a hint", () => {
    const steps = [step("swap", { matrix: { region: "${{ params.regions }}" } })];
    const missing = errorOf(() => buildPlan(steps, {}));
    expect(missing.code).toBe("USAGE");
    expect(missing.message).toBe("step swap: matrix.region needs a non-empty list, but params.regions is undefined");
    expect(missing.hint).toBe("give it with --param regions=a,b,c");
    expect(errorOf(() => buildPlan(steps, { regions: [] })).message).toContain("params.regions is []");
    expect(errorOf(() => buildPlan(steps, { regions: "eastus" })).message).toContain('params.regions is "eastus"');
  });

  it("refuses a matrix with the same member twice", () => {
    const e = errorOf(() => buildPlan([step("swap", { matrix: { app: ["a", "b", "a"] } })], {}));
    expect(e.code).toBe("PLAYBOOK_INVALID");
    expect(e.message).toContain("the member swap[a] twice");
    // Values that print alike collide too: member ids are text.
    expect(errorOf(() => buildPlan([step("swap", { matrix: { n: [1, "1"] } })], {})).message).toContain(
      "swap[1] twice",
    );
  });

  it(`refuses a matrix over ${MAX_MATRIX_MEMBERS} members`, () => {
    const values = Array.from({ length: 40 }, (_, i) => `v${i}`);
    const e = errorOf(() => buildPlan([step("big", { matrix: { a: values, b: values } })], {}));
    expect(e.message).toBe(`step big: the matrix has 1600 members, more than ${MAX_MATRIX_MEMBERS}`);
  });

  it("keeps groups, sequential by default, parallel unbounded unless maxParallel", () => {
    const plan = buildPlan(
      [
        { id: "seq", steps: [step("a"), step("b")] },
        {
          id: "par",
          parallel: true,
          steps: [
            step("c"),
            { id: "inner", parallel: true, maxParallel: 2, steps: [step("d"), step("e", { matrix: { x: [1, 2] } })] },
          ],
        },
      ],
      {},
    );
    expect(plan[0]).toMatchObject({ kind: "group", parallel: false, maxParallel: Number.POSITIVE_INFINITY });
    expect(plan[1]).toMatchObject({ kind: "group", parallel: true, maxParallel: Number.POSITIVE_INFINITY });
    const inner = plan[1]!.kind === "group" ? plan[1]!.children[1] : undefined;
    expect(inner).toMatchObject({ kind: "group", parallel: true, maxParallel: 2 });
    expect(plannedSteps(plan).map((m) => m.id)).toEqual(["a", "b", "c", "d", "e[1]", "e[2]"]);
  });
});

describe("leafSpecs", () => {
  it("maps every leaf step id to its spec, groups left out", () => {
    const b = step("b", { matrix: { x: [1] } });
    const specs = leafSpecs(buildPlan([step("a"), { id: "g", steps: [b] }], {}));
    expect([...specs.keys()]).toEqual(["a", "b"]);
    expect(specs.get("b")).toBe(b);
  });
});
