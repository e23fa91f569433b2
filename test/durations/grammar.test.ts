/**
 * Durations: one grammar for every field (src/core/duration.ts). `timeout:`, a migration's
 * `lockTimeout:`/`leaseTtl:` and the JSON Schema editors get all accept and refuse the same text.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DURATION_PATTERN, formatDuration, parseDuration } from "../../src/core/duration.js";
import { PlaybookInvalidError, type Problem } from "../../src/core/errors.js";
import { playbookJsonSchema } from "../../src/playbook/json-schema.js";
import { validatePlaybookText } from "../../src/playbook/validate.js";
import { registries } from "../../src/runtime.js";
import { actions } from "../../src/actions/registry.js";
import { providers } from "../../src/providers/registry.js";

const ACCEPTED: [string | number, number][] = [
  [0, 0],
  [250, 250],
  ["10", 10],
  ["500ms", 500],
  ["30s", 30_000],
  ["1.5s", 1_500],
  ["5m", 300_000],
  ["2h", 7_200_000],
  ["1d", 86_400_000],
  ["1.5h", 5_400_000],
  ["1m30s", 90_000],
  ["1h2m3s4ms", 3_723_004],
  ["1d12h", 129_600_000],
  ["0.0005s", 1],
];
const REFUSED = [
  "",
  "5 s",
  " 5s",
  "5s ",
  "1m 30s",
  "5 minutes",
  "5x",
  "1s2",
  "s",
  "-1s",
  "30s1m",
  "1h1h",
  "1e3",
  "1M",
  "1.s",
  ".5s",
];

describe("parseDuration", () => {
  it.each(ACCEPTED)("%j → %i ms", (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(REFUSED)("refuses %j, saying what is accepted", (text) => {
    expect(() => parseDuration(text)).toThrow(RangeError);
    expect(() => parseDuration(text)).toThrow(/such as 500ms, 30s, 5m, 1m30s, 2h or 1d/);
  });

  it.each([-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY])("refuses the number %d", (n) => {
    expect(() => parseDuration(n)).toThrow(/whole number of milliseconds/);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0ms"],
    [999, "999ms"],
    [1_000, "1s"],
    [9_950, "9.9s"],
    [42_000, "42s"],
    [60_000, "1m"],
    [90_000, "1m30s"],
    [3_600_000, "1h"],
    [5_400_000, "1h30m"],
    [7 * 86_400_000, "7d"],
    [86_400_000 + 3_600_000, "1d1h"],
  ])("%i → %s", (ms, text) => expect(formatDuration(ms)).toBe(text));
});

function problems(yaml: string): Problem[] {
  try {
    validatePlaybookText("p.yaml", yaml, registries);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(PlaybookInvalidError);
    return (e as PlaybookInvalidError).problems;
  }
}

/** A step timeout and a migration's lockTimeout and leaseTtl, all written `text`. */
const playbook = (text: string) => `version: 1
name: t
environment:
  db: { provider: sqlite, path: app.db }
steps:
  - id: migrate
    action: migrate.run
    timeout: ${text}
    with: { dir: scripts, phase: expand, lockTimeout: ${text}, leaseTtl: ${text} }
`;

describe("one grammar for a step's timeout and a migration's lockTimeout and leaseTtl", () => {
  it.each(["1m30s", "90s", "1.5m", "90000"])("%s is valid in all three", (text) => {
    expect(problems(playbook(text))).toEqual([]);
  });

  it.each(["5 s", "1m 30s", "30s1m"])("%j is refused in all three, each where it is written", (text) => {
    const found = problems(playbook(`"${text}"`)).map((p) => [p.path, `${p.line}:${p.column}`, p.message]);
    const hint =
      "must be a duration such as 500ms, 30s, 5m, 1m30s, 2h or 1d " +
      "(units largest first, no spaces; a bare number is milliseconds)";
    expect(found).toEqual([
      ["steps[0].timeout", "8:14", hint],
      ["steps[0].with.lockTimeout", "9:55", hint],
      ["steps[0].with.leaseTtl", expect.stringMatching(/^9:\d+$/), hint],
    ]);
  });
});

describe("a migration's durations have their own ranges, checked where they are written", () => {
  const migration = (w: string) => `version: 1
name: t
environment:
  db: { provider: postgres, url: "postgres://db/app", lockTimeout: 25h }
steps:
  - id: migrate
    action: migrate.backfill
    with: { table: t, key: id, set: "a = 1", ${w} }
`;
  it.each([
    ["leaseTtl: 10000h", "steps[0].with.leaseTtl", "10000h is out of range: must be at most 1d"],
    ["leaseTtl: 1s", "steps[0].with.leaseTtl", "1s is out of range: must be at least 5s"],
    ["lockTimeout: 2d", "steps[0].with.lockTimeout", "2d is out of range: must be at most 1d"],
    ["sleep: 1e10", "steps[0].with.sleep", "must be at most 1d"],
  ])("%s", (w, path, message) => {
    const found = problems(migration(w)).map((p) => [p.path, p.message]);
    expect(found).toEqual([
      ["environment.db.lockTimeout", "25h is out of range: must be at most 1d"],
      [path, message],
    ]);
  });
});

describe("the JSON Schema pattern editors get", () => {
  const schema = JSON.stringify(playbookJsonSchema(actions, providers));
  it("is the parser's grammar, the same for every duration field", () => {
    const durationFields = [
      ...schema.matchAll(/\{"type":"number","minimum":\d+,"maximum":\d+\},\{"type":"string","pattern":"([^"]*)"/g),
    ];
    expect(durationFields.length).toBeGreaterThan(20);
    expect(new Set(durationFields.map((m) => JSON.parse(`"${m[1]}"`) as string))).toEqual(
      new Set([DURATION_PATTERN.source]),
    );
  });

  // The parser checks text against DURATION_PATTERN, so these properties test the pattern itself against the grammar.
  const UNITS = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
    ["ms", 1],
  ] as const;
  const parts = fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 999 })), {
    minLength: 1,
    maxLength: 5,
  });
  const text = (ps: [number, number][]) => ps.map(([u, n]) => `${n}${UNITS[u]![0]}`).join("");

  it("accepts every composition with units largest first, each once, and sums it", () => {
    const ordered = parts.map((ps) =>
      [...new Map(ps.map(([u, n]) => [u, n] as [number, number])).entries()].sort((a, b) => a[0] - b[0]),
    );
    fc.assert(
      fc.property(ordered, (ps) => {
        expect(parseDuration(text(ps))).toBe(ps.reduce((sum, [u, n]) => sum + n * UNITS[u]![1], 0));
      }),
      { seed: 7, numRuns: 2_000 },
    );
  });

  const parses = (t: string) => {
    try {
      parseDuration(t);
      return true;
    } catch (e) {
      expect(e).toBeInstanceOf(RangeError);
      return false;
    }
  };

  it("refuses units out of order or repeated, and any space", () => {
    const disordered = parts.filter((ps) => ps.some(([u], i) => i > 0 && u <= ps[i - 1]![0]));
    fc.assert(
      fc.property(disordered, (ps) => !parses(text(ps))),
      { seed: 7, numRuns: 2_000 },
    );
    const spaced = fc.tuple(parts, fc.nat()).map(([ps, at]) => {
      const t = text(ps);
      const i = at % (t.length + 1);
      return t.slice(0, i) + " " + t.slice(i);
    });
    fc.assert(
      fc.property(spaced, (t) => !parses(t)),
      { seed: 7, numRuns: 2_000 },
    );
  });
});
