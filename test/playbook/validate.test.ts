/** Validation in memory: where problems point, suggestions, and what a valid playbook yields. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { PlaybookInvalidError, type Problem } from "../../src/core/errors.js";
import { knownKeys } from "../../src/playbook/known-keys.js";
import { PlaybookSchema } from "../../src/playbook/schema.js";
import { validatePlaybookText } from "../../src/playbook/validate.js";
import { registries } from "../../src/runtime.js";

function problems(yaml: string): Problem[] {
  try {
    validatePlaybookText("p.yaml", yaml, registries);
  } catch (e) {
    expect(e).toBeInstanceOf(PlaybookInvalidError);
    return (e as PlaybookInvalidError).problems;
  }
  throw new Error("valid");
}

const at = (p: Problem) => `${p.line}:${p.column} ${p.message}`;
const head = "version: 1\nname: t\nsteps:\n  - id: s\n    action: exec\n";

describe("where expression problems point", () => {
  it("at the ${{ of a plain scalar", () => {
    expect(problems(head + "    with:\n      command:\n        - ${{ params.x }}\n").map(at)).toEqual([
      '8:11 ${{ params.x }}: unknown param "x"; declare it under params:',
    ]);
  });

  it("at the ${{ inside a quoted string", () => {
    expect(problems(head + '    with: { command: ["a b ${{ params.x }}"] }\n')[0]).toMatchObject({
      line: 6,
      column: 28,
    });
  });

  it("at the start of the string when escapes would shift the column", () => {
    expect(problems(head + '    with: { command: ["a \\" ${{ params.x }}"] }\n')[0]).toMatchObject({
      line: 6,
      column: 23,
    });
  });

  it("at the block scalar when the value spans lines", () => {
    const p = problems(head + "    with:\n      command:\n        - >-\n          folded\n          ${{ params.x }}\n");
    expect(p[0]).toMatchObject({ line: 8, column: 11, path: "steps[0].with.command[0]" });
  });

  it("at the bad token of a syntax error", () => {
    expect(problems(head + "    with: { command: [a] }\n    when: ${{ 1 == == 1 }}\n").map(at)).toEqual([
      "7:20 in ${{ 1 == == 1 }}: unexpected '=='",
    ]);
  });
});

describe("messages", () => {
  it("suggests the nearest field of a step, a retry policy, an action's with and a provider's entry", () => {
    const p = problems(
      "version: 1\nname: t\nenvironment:\n  state: { provider: file, dirr: x }\nsteps:\n  - id: s\n    action: " +
        "exec\n    with: { commnd: [a] }\n    retry: { maxRetrys: 1 }\n    tiemout: 1s\n",
    );
    expect(p.map(at)).toEqual([
      '4:28 unknown field "dirr"; did you mean "dir"?',
      '8:11 missing required field "command" (expected list)',
      '8:13 unknown field "commnd"; did you mean "command"?',
      '9:14 unknown field "maxRetrys"; did you mean "maxRetries"?',
      '10:5 unknown field "tiemout"; did you mean "timeout"?',
    ]);
  });

  it("says a field is missing, even when its whole block is", () => {
    const p = problems("version: 1\nname: t\nsteps:\n  - id: s\n    action: flag.set\n");
    expect(p.map((x) => x.message)).toEqual([
      'missing required field "name" (expected string)',
      'missing required field "value"',
    ]);
  });

  it("tells a wrong type from a missing field", () => {
    expect(problems(head + "    with: { command: null }\n").map((x) => x.message)).toEqual([
      "expected list, received null",
    ]);
  });

  it("explains a value no branch of a union accepts, or the problems of the closest branch", () => {
    const p = problems(
      head +
        "    with: { command: [a] }\n    undo: true\n    when: soon\n    timeout: true\n  - id: t\n    action: " +
        "exec\n    with: { command: [a] }\n    undo: { action: exec, wth: { command: [b] } }\n",
    );
    expect(p.map(at)).toEqual([
      "7:11 expected false or mapping, received boolean",
      "8:11 must be an expression written as ${{ ... }}",
      "9:14 expected number or string, received boolean",
      '13:11 missing required field "command" (expected list)', // the undo's with, misspelt, is absent
      '13:27 unknown field "wth"; did you mean "with"?',
    ]);
  });

  it("sorts problems by position", () => {
    const p = problems(
      "version: 2\nname: T\nsteps:\n  - id: a\n    action: nope\n  - id: a\n    action: exec\n    with: { " +
        "command: [x] }\n",
    );
    expect(p.map((x) => x.line)).toEqual([1, 2, 5, 6]);
  });
});

describe("limits", () => {
  it("refuses text over 1 MiB before parsing it", () => {
    const p = problems(head + "    with: { command: [a] }\n" + "#".repeat(1024 * 1024));
    expect(p).toEqual([
      {
        file: "p.yaml",
        line: 1,
        column: 1,
        path: "",
        message: "the file is larger than 1048576 bytes; split it or trim it",
      },
    ]);
  });

  it("allows a few aliases and refuses an expansion bomb", () => {
    const shared =
      "version: 1\nname: t\nx-cmd: &cmd [echo, hi]\nsteps:\n  - id: a\n    action: exec\n    with: { command: *cmd }\n";
    // `x-cmd` is not a playbook field: the alias itself resolved fine.
    expect(problems(shared).map((x) => x.message)).toEqual(['unknown field "x-cmd"']);
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 6; i++)
      levels.push(
        `l${i}: &l${i} [${Array(10)
          .fill(i === 1 ? "*a" : `*l${i - 1}`)
          .join(", ")}]`,
      );
    expect(problems(levels.join("\n") + "\n")[0]!.message).toMatch(/^YAML: .*aliases are limited to 100 expansions/);
  });
});

describe("a valid playbook", () => {
  it("yields the parsed playbook, its hash and its environment", () => {
    const text = head + "    with: { command: [echo, hi] }\n";
    const loaded = validatePlaybookText("dir/p.yaml", text, registries);
    expect(loaded.hash).toBe(createHash("sha256").update(text).digest("hex"));
    expect(loaded.environment).toBe("t");
    expect(loaded.playbook.steps[0]).toMatchObject({ id: "s", action: "exec" });
    expect(loaded.playbook.params).toEqual({});
  });

  it("uses environment.name as the lease key", () => {
    const loaded = validatePlaybookText(
      "p.yaml",
      "version: 1\nname: t\nenvironment: { name: prod }\n" +
        head.split("\n").slice(2).join("\n") +
        "    with: { command: [a] }\n",
      registries,
    );
    expect(loaded.environment).toBe("prod");
  });
});

describe("knownKeys", () => {
  it("walks the JSON Schema: objects, lists, maps, recursion, unions", () => {
    expect(knownKeys(PlaybookSchema, [])).toContain("steps");
    expect(knownKeys(PlaybookSchema, ["steps", 0])).toEqual(
      expect.arrayContaining(["id", "action", "with", "retry", "when"]),
    );
    expect(knownKeys(PlaybookSchema, ["steps", 0, "steps", 3, "retry"])).toEqual([
      "maxRetries",
      "delay",
      "maxDelay",
      "factor",
    ]);
    expect(knownKeys(PlaybookSchema, ["params", "anything"])).toContain("allowed");
    expect(knownKeys(PlaybookSchema, ["steps", 0, "undo"])).toEqual(["action", "with", "timeout", "alsoWhenFailed"]);
    expect(knownKeys(PlaybookSchema, ["nope", "deeper"])).toEqual([]);
  });
});
