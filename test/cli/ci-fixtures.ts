/** Playbooks and environments shared by the CI output tests (test/cli/ci-*.test.ts). */
import fs from "node:fs";
import path from "node:path";
import { tempDir } from "../support/files.js";

/** A secret the playbooks below print and fail with: no output may show it (redaction happens before the CI lines). */
export const SECRET = "s3cr3t-Token%value:with,odd]chars";

/** No CI variables of the machine running the tests leak into a run that should see none or another. */
export const NO_CI = { GITHUB_ACTIONS: undefined, TF_BUILD: undefined, GITHUB_STEP_SUMMARY: undefined };

export const PASSING = `version: 1
name: ci-pass
steps:
  - id: build
    description: Build the package
    action: exec
    with:
      command: ["sh", "-c", "echo building; echo '::set-output name=x::y'; echo 'a ##vso[task.setvariable variable=x]y'; echo \\"token $TOKEN\\""]
      env: { TOKEN: "\${{ secrets.TOKEN }}" }
  - id: optional
    when: false
    action: exec
    with: { command: ["true"] }
  - id: approve-swap
    action: gate.approval
    with: { message: "Swap?" }
  - id: swap
    action: exec
    with: { command: ["true"] }
`;

export const FAILING = `version: 1
name: ci-fail
steps:
  - id: warm
    action: exec
    with: { command: ["true"] }
  - id: check
    onFailure: abort
    action: exec
    with:
      command: ["sh", "-c", "echo \\"bad <&> 100%, $TOKEN\\" >&2; printf 'ctl\\\\001\\\\n' >&2; exit 3"]
      env: { TOKEN: "\${{ secrets.TOKEN }}" }
`;

export const INVALID = `version: 1
name: ci-bad
steps:
  - id: a
    action: no-such-action
  - id: b
    action: exec
    with: { command: 3 }
`;

export interface Fixture {
  dir: string;
  stateDir: string;
  file(name: string, text: string): string;
}

export function fixture(prefix: string): Fixture {
  const dir = tempDir(prefix);
  return {
    dir,
    stateDir: path.join(dir, ".cutover"),
    file: (name, text) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, text);
      return f;
    },
  };
}

/** The 1-based line of `needle` in `text`. */
export function lineOf(text: string, needle: string): number {
  return text.split("\n").findIndex((l) => l.includes(needle)) + 1;
}
