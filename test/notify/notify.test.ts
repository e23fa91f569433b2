/**
 * `notify:` end to end: the built CLI posts to a real loopback HTTP server. Bodies per format, a webhook
 * answering 500 (retried, journaled as failed, the run unaffected, status says so), a CLI killed while a
 * delivery is under way (`resume` sends it again with the same idempotency key), and the webhook URL, a
 * secret, never in stdout, stderr or the journal.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt, startCli, tmpProject, type CliResult } from "../support/cli.js";
import { startServer, type Reply, type TestServer } from "../support/http-server.js";
import { filesUnder } from "../support/files.js";

/** The secret part of every webhook URL here: it must never show up anywhere cutover writes. */
const TOKEN = "T0K3N-d0-not-leak-4f9a";

const playbook = (notify: string, steps: string) => `version: 1
name: notify-demo
notify:
${notify}
steps:
${steps}
`;

const GATED = `  - id: prep
    action: exec
    with: { command: ["true"] }
  - id: approve-swap
    action: gate.approval
    with: { message: "Swap blue and green?" }
  - id: swap
    action: exec
    with: { command: ["true"] }`;

let server: TestServer | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const c of cleanups.splice(0)) c();
});
beforeAll(() => requireBuilt());

function project(text: string) {
  const p = tmpProject({ "playbook.yaml": text });
  cleanups.push(p.cleanup);
  return p.dir;
}

async function cli(dir: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return startCli(args, { cwd: dir, env }).done;
}

function journalOf(dir: string): { lines: Record<string, unknown>[]; text: string } {
  const files = filesUnder(path.join(dir, ".cutover", "runs")).filter((f) => f.endsWith(".jsonl"));
  expect(files).toHaveLength(1);
  const text = fs.readFileSync(files[0]!, "utf8");
  return {
    text,
    lines: text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** Nothing cutover wrote (its output, every file under the state directory) holds the webhook's secret. */
function expectNoLeak(dir: string, ...outputs: CliResult[]): void {
  for (const r of outputs) expect(r.stdout + r.stderr).not.toContain(TOKEN);
  for (const f of filesUnder(path.join(dir, ".cutover"))) expect(fs.readFileSync(f, "utf8"), f).not.toContain(TOKEN);
}

const bodies = (s: TestServer, hook: string) =>
  s.requests.filter((r) => r.url.includes(hook)).map((r) => JSON.parse(r.body) as Record<string, unknown>);

describe("notify: webhooks", () => {
  it("posts gate-waiting and succeeded in the Slack, Teams and generic shapes, each delivery journaled", async () => {
    server = await startServer([{ status: 200, body: "ok" }]);
    const env = {
      CUTOVER_SECRET_SLACK: `${server.url}/slack/${TOKEN}`,
      CUTOVER_SECRET_TEAMS: `${server.url}/teams/${TOKEN}`,
      GENERIC_HOOK: `${server.url}/generic/${TOKEN}`,
      CUTOVER_ACTOR: "alice",
    };
    const dir = project(
      playbook(
        `  - webhook: { url: "\${{ secrets.SLACK }}" }
    format: slack
    events: [gate-waiting]
  - webhook: { url: "\${{ secrets.TEAMS }}" }
    format: teams
    events: [succeeded, failed]
  - webhook: { url: "\${{ secrets.GENERIC_HOOK }}" }`,
        GATED,
      ),
    );
    const run = await cli(dir, ["run", "playbook.yaml"], env);
    expect(run.code, run.stderr).toBe(3);
    const runId = /run (r\S+) started/.exec(run.stdout)![1]!;
    const approve = await cli(dir, ["approve", runId, "--note", "checked the canary"], env);
    expect(approve.code, approve.stderr).toBe(0);

    const [slack] = bodies(server, "/slack/");
    expect(bodies(server, "/slack/")).toHaveLength(1); // subscribed to gate-waiting only
    expect(slack!.text).toContain(`run ${runId} waits for approval at approve-swap`);
    const blocks = slack!.blocks as { type: string; text?: { type: string; text: string } }[];
    expect(blocks[0]).toMatchObject({ type: "section", text: { type: "mrkdwn" } });
    expect(blocks[0]!.text!.text).toContain(`cutover approve ${runId} approve-swap`);

    const teams = bodies(server, "/teams/");
    expect(teams).toHaveLength(1); // succeeded only
    const card = (teams[0]!.attachments as { contentType: string; content: Record<string, unknown> }[])[0]!;
    expect(teams[0]!.type).toBe("message");
    expect(card.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(card.content).toMatchObject({ type: "AdaptiveCard", version: "1.4" });
    expect(JSON.stringify(card.content.body)).toContain(`run ${runId} succeeded`);

    const generic = bodies(server, "/generic/");
    expect(generic.map((b) => b.event)).toEqual(["gate-waiting", "succeeded"]);
    expect(generic[0]).toMatchObject({ runId, stepId: "approve-swap", environment: "notify-demo", version: 1 });

    const { lines } = journalOf(dir);
    const sent = lines.filter((l) => l.type === "notify.sent");
    // Deliveries run side by side: the journal holds them in the order they were answered.
    expect(sent.map((l) => `${String(l.target)} ${String(l.event)} ${String(l.status)}`).sort()).toEqual([
      "0 gate-waiting 200",
      "1 succeeded 200",
      "2 gate-waiting 200",
      "2 succeeded 200",
    ]);
    // The Idempotency-Key header is the journaled key: <runId>:<eventSeq>:<target>.
    for (const l of sent) {
      expect(l.key).toBe(`${runId}:${String(l.eventSeq)}:${String(l.target)}`);
      expect(server.requests.some((r) => r.headers["idempotency-key"] === l.key)).toBe(true);
    }
    expectNoLeak(dir, run, approve);
  });

  it("retries a webhook answering 500, journals it as failed, and the release still succeeds; status says so", async () => {
    server = await startServer([{ status: 500, body: "upstream broken" }]);
    const env = { CUTOVER_SECRET_HOOK: `${server.url}/hook/${TOKEN}` };
    const dir = project(
      playbook(
        `  - webhook: { url: "\${{ secrets.HOOK }}" }
    format: slack`,
        `  - id: only
    action: exec
    with: { command: ["true"] }`,
      ),
    );
    const run = await cli(dir, ["run", "playbook.yaml"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(server.requests).toHaveLength(3); // bounded: three attempts
    expect(new Set(server.requests.map((r) => r.headers["idempotency-key"])).size).toBe(1);
    const { lines } = journalOf(dir);
    const failed = lines.filter((l) => l.type === "notify.failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ target: 0, event: "succeeded", attempts: 3, error: { code: "NOTIFY_HTTP" } });
    expect((failed[0]!.error as { message: string }).message).toContain("HTTP 500 after 3 attempts");
    expect(lines.find((l) => l.type === "run.finished")).toMatchObject({ outcome: "succeeded" });
    expect(run.stdout + run.stderr).toContain(
      "notify[0] (slack) succeeded: HTTP 500 after 3 attempts: not delivered (the run is not affected)",
    );

    const status = await cli(dir, ["status"], {});
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/notifications: 1 failed, 0 sent; last failure .*HTTP 500 after 3 attempts/);
    expectNoLeak(dir, run, status);
  });

  it("gives up at once on a 4xx: not retryable; the run succeeds", async () => {
    server = await startServer([{ status: 404, body: "no such hook" }]);
    const dir = project(
      playbook(
        `  - webhook: { url: "\${{ secrets.HOOK }}" }`,
        `  - id: only
    action: exec
    with: { command: ["true"] }`,
      ),
    );
    const run = await cli(dir, ["run", "playbook.yaml"], { CUTOVER_SECRET_HOOK: `${server.url}/hook/${TOKEN}` });
    expect(run.code, run.stderr).toBe(0);
    expect(server.requests).toHaveLength(1);
    const failed = journalOf(dir).lines.filter((l) => l.type === "notify.failed");
    expect(failed).toEqual([
      expect.objectContaining({ attempts: 1, error: expect.objectContaining({ code: "NOTIFY_HTTP" }) }),
    ]);
    expectNoLeak(dir, run);
  });

  it("a webhook secret missing: run refuses to start; a later command without it journals the target as failed", async () => {
    server = await startServer([{ status: 200 }]);
    const dir = project(
      playbook(
        `  - webhook: { url: "\${{ secrets.HOOK }}" }
    events: [succeeded]`,
        GATED,
      ),
    );
    const refused = await cli(dir, ["run", "playbook.yaml"], {});
    expect(refused.code).toBe(2); // validate before acting: nothing was changed
    expect(refused.stderr).toContain("secret HOOK");
    expect(filesUnder(path.join(dir, ".cutover", "runs"))).toEqual([]);

    const run = await cli(dir, ["run", "playbook.yaml"], { CUTOVER_SECRET_HOOK: `${server.url}/hook/${TOKEN}` });
    expect(run.code, run.stderr).toBe(3);
    // On call approves from a shell without the webhook's secret: the release goes on, the target is journaled.
    const approve = await cli(dir, ["approve"], { CUTOVER_ACTOR: "oncall" });
    expect(approve.code, approve.stderr).toBe(0);
    expect(server.requests).toHaveLength(0);
    const failed = journalOf(dir).lines.filter((l) => l.type === "notify.failed");
    expect(failed).toEqual([
      expect.objectContaining({ event: "succeeded", error: expect.objectContaining({ code: "NOTIFY_NO_URL" }) }),
    ]);
    expectNoLeak(dir, run, approve);
  });

  it("a webhook that refuses the connection does not hold up or fail the run either", async () => {
    server = await startServer([{ status: 200 }]);
    const closedUrl = `${server.url}/hook/${TOKEN}`;
    await server.close();
    server = undefined;
    const dir = project(
      playbook(
        `  - webhook: { url: "\${{ secrets.HOOK }}" }
    events: [failed, aborted]`,
        `  - id: broken
    action: exec
    with: { command: ["false"] }
    onFailure: abort`,
      ),
    );
    const run = await cli(dir, ["run", "playbook.yaml"], { CUTOVER_SECRET_HOOK: closedUrl });
    expect(run.code).toBe(1); // the run's own outcome (aborted), not the webhook's
    const { lines } = journalOf(dir);
    expect(lines.find((l) => l.type === "run.finished")).toMatchObject({ outcome: "aborted" });
    const failed = lines.filter((l) => l.type === "notify.failed");
    expect(failed).toHaveLength(1); // one event (aborted; `failed` is a run that failed without undoing)
    expect(failed[0]).toMatchObject({ event: "aborted", attempts: 3, error: { code: "NOTIFY_UNREACHABLE" } });
    expectNoLeak(dir, run);
  });

  it("re-sends on resume a notification whose delivery a SIGKILL cut short, with the same idempotency key", async () => {
    // The first request is held open until the test has killed the CLI; later ones are answered at once.
    server = await startServer((n): Reply => (n === 0 ? { status: 200, delayMs: 120_000 } : { status: 204 }));
    const env = { CUTOVER_SECRET_HOOK: `${server.url}/hook/${TOKEN}` };
    const dir = project(
      playbook(
        `  - webhook: { url: "\${{ secrets.HOOK }}" }
    events: [gate-waiting]`,
        GATED,
      ),
    );
    const child = startCli(["run", "playbook.yaml"], { cwd: dir, env });
    await until(() => server!.requests.length >= 1);
    child.child.kill("SIGKILL");
    const killed = await child.done;
    expect(killed.signal).toBe("SIGKILL");
    const before = journalOf(dir).lines;
    const paused = before.find((l) => l.type === "run.paused")!;
    expect(before.some((l) => l.type === "notify.sent")).toBe(false); // killed before the 2xx was journaled

    const runId = paused.runId as string;
    const resume = await cli(dir, ["resume", runId], env);
    expect(resume.code, resume.stderr).toBe(3); // still waiting at the gate
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(second!.headers["idempotency-key"]).toBe(first!.headers["idempotency-key"]);
    expect(second!.headers["idempotency-key"]).toBe(`${runId}:${String(paused.seq)}:0`);
    expect(JSON.parse(second!.body)).toMatchObject({ event: "gate-waiting", runId, stepId: "approve-swap" });
    const sent = journalOf(dir).lines.filter((l) => l.type === "notify.sent");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ eventSeq: paused.seq, status: 204 });

    // Delivered now: another command on the run does not send it a third time.
    const again = await cli(dir, ["resume", runId], env);
    expect(again.code, again.stderr).toBe(3);
    expect(server.requests).toHaveLength(2);
    expectNoLeak(dir, killed, resume, again);
  });

  it("a finished run whose result notification a SIGKILL cut short: `cutover notify` sends it", async () => {
    server = await startServer((n): Reply => (n === 0 ? { status: 200, delayMs: 120_000 } : { status: 200 }));
    const env = { CUTOVER_SECRET_HOOK: `${server.url}/hook/${TOKEN}` };
    const dir = project(
      playbook(
        `  - webhook: { url: "\${{ secrets.HOOK }}" }
    format: teams`,
        `  - id: only
    action: exec
    with: { command: ["true"] }`,
      ),
    );
    const child = startCli(["run", "playbook.yaml"], { cwd: dir, env });
    await until(() => server!.requests.length >= 1);
    child.child.kill("SIGKILL");
    const killed = await child.done;
    const finished = journalOf(dir).lines.find((l) => l.type === "run.finished")!;
    expect(finished).toMatchObject({ outcome: "succeeded" });
    const runId = finished.runId as string;

    const owed = await cli(dir, ["notify", runId], env);
    expect(owed.code, owed.stderr).toBe(0);
    expect(owed.stdout).toContain(`run ${runId}: 1 notification(s) sent, 0 failed`);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.headers["idempotency-key"]).toBe(`${runId}:${String(finished.seq)}:0`);
    const again = await cli(dir, ["notify", runId], env);
    expect(again.stdout).toContain(`run ${runId} owes no notification`);
    expect(server.requests).toHaveLength(2);
    expectNoLeak(dir, killed, owed, again);
  });

  it("refuses a webhook URL written into the playbook (exit 2, the field named)", async () => {
    const dir = project(
      playbook(
        `  - webhook: { url: "https://hooks.example.test/services/${TOKEN}" }`,
        `  - id: only
    action: exec
    with: { command: ["true"] }`,
      ),
    );
    const r = await cli(dir, ["validate", "playbook.yaml"], {});
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/notify\.0\.webhook\.url|notify\[0\]\.webhook\.url/);
    expect(r.stdout + r.stderr).toContain("secrets.NAME");
  });
});

async function until(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting for the webhook request");
    await new Promise((r) => setTimeout(r, 20));
  }
}
