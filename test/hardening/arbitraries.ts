/**
 * fast-check generators for the property test: playbooks (mostly valid
 * shapes, then corrupted as text or as structure), params and command-line
 * arguments. Every action a generated playbook can run is harmless and
 * quick (wait.duration of at most 5 ms, exec of `node -e` writing a marker
 * file), so a clean run is cheap and its only trace is the marker.
 */
import fc from "fast-check";
import { stringify } from "yaml";

/** Names users pick, with the ones JavaScript objects treat specially. */
const GOOD_NAMES = ["version", "regions", "a", "constructor", "toString", "hasOwnProperty", "valueOf", "X"];
const BAD_NAMES = ["__proto__", "b-1", "", "two words"];
/** Mostly valid, now and then wrong. */
const often = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, ratio = 20) =>
  fc.oneof({ weight: ratio, arbitrary: good }, { weight: 1, arbitrary: bad });
const name = often(fc.constantFrom(...GOOD_NAMES), fc.constantFrom(...BAD_NAMES));

/** What the exec step runs: it leaves `marker` in the working directory, the side effect the property watches. */
export const MARKER = "marker";
const execWith = { command: ["node", "-e", `require('fs').writeFileSync('${MARKER}', '')`] };

const duration = often(
  fc.constantFrom<unknown>("0s", "0", 0, "1ms", "5ms"),
  fc.constantFrom<unknown>("abc", "-1s", "1x", "", "0.5.5", null, [], {}),
);

const ref = fc.constantFrom(
  "params.version",
  "params.regions",
  "params.constructor",
  "params.toString",
  "params.__proto__",
  "steps.a.outputs.x",
  "steps.settle.status",
  "steps.constructor.outputs.x",
  "matrix.r",
  "matrix.constructor",
  "env.HOME",
  "env.constructor",
  "secrets.NOPE",
  "run.id",
  "toString()",
  "constructor(1)",
  "lower('X')",
  "contains(params.regions, 'a')",
);
const literal = fc.constantFrom("1", "'a'", "true", "null", "-2.5", "''");
const op = fc.constantFrom("==", "!=", "&&", "||", "<", ">=", "!", "(", ")", ",", ".", "[0]", "$", "{", "}}", "'");

/** Expressions: sensible chains and nests, with stray tokens mixed in. */
const expression = fc
  .array(fc.oneof({ weight: 3, arbitrary: ref }, { weight: 2, arbitrary: literal }, { weight: 1, arbitrary: op }), {
    minLength: 1,
    maxLength: 8,
  })
  .chain((parts) =>
    fc
      .record({ nest: often(fc.nat({ max: 3 }), fc.nat({ max: 100 }), 8), parts: fc.constant(parts) })
      .map(({ nest, parts: p }) => {
        const body = p.join(" == ");
        // Sometimes nested past the 64-level limit, sometimes within it.
        return `\${{ ${"(".repeat(nest)}${body}${")".repeat(nest)} }}`;
      }),
  );

const matrix = fc.oneof(
  { weight: 20, arbitrary: fc.constant(undefined) },
  fc.dictionary(
    fc.constantFrom("r", "s", "constructor", "__proto__", "1bad"),
    fc.array(fc.constantFrom("a", "b", "a,b", "c", 1, true), { minLength: 0, maxLength: 4 }),
    {
      maxKeys: 2,
    },
  ),
  fc.constant({ r: "${{ params.regions }}" }),
);

const step = fc
  .record({
    // Ids are made unique by position below unless this says otherwise.
    id: often(fc.constant(undefined), fc.constantFrom<string | undefined>("settle", "constructor", "Bad_Id", "")),
    action: often(fc.constantFrom("wait.duration", "exec"), fc.constantFrom("nope.action", "flag.set")),
    duration,
    when: fc.oneof(
      { weight: 12, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.boolean() },
      { weight: 1, arbitrary: expression },
    ),
    arg: fc.oneof({ weight: 10, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: expression }),
    matrix,
    extra: often(fc.constant(undefined), fc.constantFrom("retrys", "timeout", "__proto__", "steps")),
  })
  .map((s) => {
    const out: Record<string, unknown> = { id: s.id, action: s.action };
    if (s.id === undefined) delete out.id;
    if (s.action === "exec") out.with = { ...execWith, command: [...execWith.command, ...(s.arg ? [s.arg] : [])] };
    else if (s.action === "wait.duration") out.with = { duration: s.duration };
    else out.with = { name: "M", value: true };
    if (s.when !== undefined) out.when = s.when;
    if (s.matrix !== undefined) out.matrix = s.matrix;
    if (s.extra === "timeout") out.timeout = "1ms5";
    else if (s.extra === "steps") out.steps = [];
    else if (s.extra !== undefined) out[s.extra] = 1;
    return out;
  });

const paramSpec = fc.record(
  {
    type: often(fc.constantFrom("string", "list"), fc.constantFrom("number", "boolean", "date")),
    default: often(fc.constant<unknown>(undefined), fc.constantFrom<unknown>("v1", 3, true, ["a", "b"], "a,a"), 10),
    required: often(fc.constant(false), fc.constant(true), 10),
    allowed: often(fc.constant<unknown>(undefined), fc.constantFrom<unknown>(["v1", "v2"], ["a", "b", "c"]), 10),
  },
  { requiredKeys: ["type"] },
);

/** A playbook as a JS value: the shape cutover expects, with plausible mistakes. */
const playbookValue = fc
  .record({
    version: often(fc.constant<unknown>(1), fc.constantFrom<unknown>(2, "1")),
    name: often(fc.constant("prop"), fc.constantFrom("Bad Name", "")),
    params: fc.dictionary(name, paramSpec, { maxKeys: 3 }),
    steps: often(fc.array(step, { minLength: 1, maxLength: 4 }), fc.constant<Record<string, unknown>[]>([])),
  })
  .map((v) => ({
    ...v,
    steps: v.steps.map((s, i) => ("id" in s ? s : { id: `step-${i}`, ...s })),
  }));

/** Text-level damage: what an editor, a merge or a hostile input does to YAML. */
const damage = fc.oneof(
  { weight: 20, arbitrary: fc.constant((t: string) => t) },
  fc.nat().map((n) => (t: string) => t.slice(0, n % (t.length + 1))),
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom(
        ":",
        "[",
        "{",
        "- ",
        "\t",
        "&a ",
        "*a",
        "!!js/function ",
        "!x ",
        "? ",
        "|",
        '"',
        "'",
        "%YAML 1.1\n",
        "---\n",
        "\u0000",
        "\uFEFF",
        "${{",
      ),
    )
    .map(([n, ins]) => (t: string) => {
      const i = n % (t.length + 1);
      return t.slice(0, i) + ins + t.slice(i);
    }),
  fc.nat().map((n) => (t: string) => {
    const lines = t.split("\n");
    const i = n % lines.length;
    return [...lines.slice(0, i + 1), ...lines.slice(i)].join("\n"); // a duplicated line: duplicate keys
  }),
  fc.nat({ max: 200 }).map((n) => (t: string) => `${t}\nx: ${"[".repeat(n)}${"]".repeat(n)}\n`),
);

export const playbookText = fc.tuple(playbookValue, damage).map(([v, hurt]) => hurt(stringify(v)));

/** `-p name=value` arguments. */
export const paramArgs = often(
  fc.constant<string[]>([]),
  fc.array(
    fc
      .tuple(name, fc.constantFrom("v1", "v2", "a,b", "a,a", "3", "x".repeat(300), "", "true", "=", "a".repeat(5)))
      .map(([n, v]) => `${n}=${v}`),
    { maxLength: 3 },
  ),
  1,
);

/** Extra command-line words around `run`: harmless options, and a few wrong ones. */
export const runFlags = fc
  .array(
    fc.constantFrom<string[]>(
      [],
      ["--dry-run"],
      ["--approve", "nope"],
      ["--on-failure", "abort"],
      ["--on-failure", "bogus"],
      ["--bogus"],
      ["-p", "noequals"],
    ),
    { maxLength: 2 },
  )
  .map((xs) => xs.flat());
