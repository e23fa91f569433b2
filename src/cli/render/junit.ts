/**
 * `--junit <file>`: the run as a JUnit XML report, the format most CI services (Jenkins, GitLab, CircleCI,
 * Azure's PublishTestResults, Buildkite) show as tests. The testsuite is the run; each step is a testcase with
 * its machine time, a <failure> when it failed, <skipped> when it was skipped or has not run yet; each undo of
 * an abort is a testcase of its own. Written whole and atomically at the end of every command that ran steps, so
 * a CI service never reads half a file. Messages come from the journal, where secrets are already redacted.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { tempSibling } from "../../core/atomic-write.js";
import type { RunState, StepState } from "../../engine/reducer.js";
import { UNDO_SKIP } from "./describe-event.js";

/**
 * Characters XML 1.0 does not allow at all (its `Char` production: TAB, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD,
 * U+10000–U+10FFFF; lone surrogates fall outside too): removed, since not even a character reference may name them.
 */
const ILLEGAL_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text for an XML attribute value or element content: the five predefined entities, illegal characters dropped. */
export function xmlText(s: string): string {
  return s
    .replace(ILLEGAL_XML, "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

/** An attribute value: line breaks and tabs as character references, which attribute normalisation keeps. */
const xmlAttr = (s: string): string =>
  xmlText(s).replaceAll("\t", "&#9;").replaceAll("\n", "&#10;").replaceAll("\r", "&#13;");

const attrs = (a: Record<string, string | number | undefined>): string =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join("");

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

interface Case {
  name: string;
  ms: number;
  body: string;
  failed: boolean;
  skipped: boolean;
}

function stepCase(st: StepState, state: RunState): Case {
  const base = { name: st.id, ms: st.durationMs, failed: false, skipped: false, body: "" };
  if (st.status === "failed") {
    const e = st.error;
    const message = e ? `[${e.code}] ${e.message}` : "failed";
    return {
      ...base,
      failed: true,
      body: `<failure${attrs({ message, type: e?.code })}>${xmlText(message)}</failure>`,
    };
  }
  if (st.status === "succeeded") return base;
  const why =
    st.status === "skipped"
      ? `skipped: ${st.skipReason ?? ""}`
      : state.pause?.stepId === st.id
        ? `not finished: ${state.pause.message}`
        : st.status === "running"
          ? `stopped while running; the run is ${state.status}`
          : `not run: the run is ${state.status}`;
  return { ...base, skipped: true, body: `<skipped${attrs({ message: why })}/>` };
}

function undoCase(st: StepState): Case | undefined {
  const u = st.undo;
  if (u.status === "pending") return undefined;
  const base = { name: `undo ${st.id}`, ms: 0, failed: false, skipped: false, body: "" };
  if (u.status === "failed") {
    const message = u.error ? `[${u.error.code}] ${u.error.message}` : "undo failed";
    return {
      ...base,
      failed: true,
      body: `<failure${attrs({ message, type: u.error?.code })}>${xmlText(message)}</failure>`,
    };
  }
  // "Nothing to undo" passed; any other undo left undone is reported as skipped, with why.
  if (u.status === "skipped" && u.reason !== "nothing-to-undo")
    return { ...base, skipped: true, body: `<skipped${attrs({ message: UNDO_SKIP[u.reason ?? ""] ?? u.reason })}/>` };
  if (u.status === "running")
    return { ...base, skipped: true, body: `<skipped message="undo stopped while running"/>` };
  return base;
}

function junitXml(state: RunState): string {
  const classname = `cutover.${state.playbook.name}`;
  const steps = state.order.map((id) => state.steps[id]!);
  const cases = [
    ...steps.map((st) => stepCase(st, state)),
    ...steps.map(undoCase).filter((c): c is Case => c !== undefined),
  ];
  const count = {
    tests: cases.length,
    failures: cases.filter((c) => c.failed).length,
    errors: 0,
    skipped: cases.filter((c) => c.skipped).length,
    time: seconds(cases.reduce((t, c) => t + c.ms, 0)),
  };
  const props = {
    runId: state.runId,
    environment: state.environment,
    status: state.status,
    playbook: state.playbook.file,
  };
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites${attrs({ name: "cutover", ...count })}>`,
    `  <testsuite${attrs({
      name: `${state.playbook.name} (${state.environment}) run ${state.runId}`,
      ...count,
      timestamp: state.startedAt.slice(0, 19),
      hostname: os.hostname(),
    })}>`,
    `    <properties>`,
    ...Object.entries(props).map(([name, value]) => `      <property${attrs({ name, value })}/>`),
    `    </properties>`,
    ...cases.map((c) => {
      const open = `    <testcase${attrs({ name: c.name, classname, time: seconds(c.ms) })}`;
      return c.body ? `${open}>${c.body}</testcase>` : `${open}/>`;
    }),
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}

/**
 * Replace `file` with the report atomically (temporary sibling, fsync, rename), synchronously: a renderer closes
 * synchronously, and the report must be complete before the process exits.
 */
export function writeJunit(file: string, state: RunState): void {
  const target = path.resolve(file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tempSibling(target);
  const fd = fs.openSync(tmp, "wx", 0o644);
  try {
    fs.writeFileSync(fd, junitXml(state));
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
