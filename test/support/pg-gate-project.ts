/**
 * A CLI project whose run state lives in PostgreSQL and whose playbook pauses at a gate (deploy-green,
 * approve-swap, swap): for tests that drive one run from several processes, each with its own state directory
 * (test/pg-store/cli.test.ts, test/web/pg-store.test.ts). The store URL in `env().CUTOVER_STATE_URL` carries
 * `password`: trust auth ignores it, and cutover must never print, journal or store it.
 */
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { pgDatabase } from "../pg-store/helpers.js";
import { requireBuilt, tmpProject } from "./cli.js";

export interface PgGateProject {
  /** This test file's database (created before its tests, dropped after them). */
  db: ReturnType<typeof pgDatabase>;
  /** The project directory. */
  dir(): string;
  /** The playbook's path. */
  playbook(): string;
  /** What each CLI process adds to its environment: the store URL, with the password. */
  env(): NodeJS.ProcessEnv;
}

/** Registers the database, the built CLI check and the project for this test file; `schema` keeps the run state. */
export function pgGateProject(opts: { name: string; schema: string; password: string }): PgGateProject {
  const db = pgDatabase();
  let project: ReturnType<typeof tmpProject> | undefined;
  let env: NodeJS.ProcessEnv = {};
  beforeAll(() => {
    requireBuilt();
    project = tmpProject({ "playbook.yaml": gatePlaybook(opts.name, opts.schema) });
    const url = new URL(db.url());
    url.password = opts.password;
    env = { CUTOVER_STATE_URL: url.toString() };
  });
  afterAll(() => project?.cleanup());
  const dir = () => {
    if (!project) throw new Error("the project is created in beforeAll");
    return project.dir;
  };
  return { db, dir, playbook: () => path.join(dir(), "playbook.yaml"), env: () => env };
}

function gatePlaybook(name: string, schema: string): string {
  return `version: 1
name: ${name}
environment:
  name: shop-prod
  state: { provider: postgres, urlEnv: CUTOVER_STATE_URL, schema: ${schema} }
steps:
  - id: deploy-green
    action: exec
    with: { command: ["node", "-e", "console.log('green deployed')"] }
  - id: approve-swap
    action: gate.approval
    with: { message: "Green looks healthy. Swap?" }
  - id: swap
    action: exec
    with: { command: ["node", "-e", "console.log('swapped')"] }
`;
}
