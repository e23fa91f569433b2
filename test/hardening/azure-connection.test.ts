/**
 * Issue 14 item 12: a malformed Azure connection string is named, with the
 * environment entry and the variable that holds it, and never printed; it
 * once reached the SDKs and came back as "[INTERNAL] Cannot read properties
 * of undefined (reading 'toLowerCase')" or "Invalid TableEndpoint".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCutoverError } from "../../src/core/errors.js";
import type { ProviderContext } from "../../src/core/provider.js";
import { requireBuilt } from "../support/cli.js";
import { cli, expectRefused, project } from "./helpers.js";

const SENTINEL = "SENTINELc2VjcmV0a2V5";
const tablePlaybook = `version: 1
name: azure-state
environment:
  state: { provider: azure-table, connectionStringSecret: MY_STORAGE, table: cutover }
steps:
  - id: settle
    action: wait.duration
    with: { duration: 0s }
`;

let p: ReturnType<typeof project>;
beforeAll(() => {
  requireBuilt();
  p = project({ "azure.yaml": tablePlaybook });
});
afterAll(() => p?.cleanup());

describe("the CLI names a malformed connection string", () => {
  it.each([
    [`garbage${SENTINEL}`, "part 1 of 1 is not name=value"],
    [`AccountName=acct;AccountKey=${SENTINEL}`, "it needs TableEndpoint, or DefaultEndpointsProtocol=https"],
    [`TableEndpoint=not-a-url;SharedAccessSignature=sv=${SENTINEL}`, "TableEndpoint is not an http(s) URL"],
    [`DefaultEndpointsProtocol=https;AccountKey=${SENTINEL}`, "it lacks AccountName"],
  ])("%s", (cs, why) => {
    const r = cli(p.dir, ["run", "azure.yaml"], { env: { MY_STORAGE: cs } });
    expectRefused(r, `environment.state: the connection string in MY_STORAGE is malformed: ${why}`);
    expect(r.stdout + r.stderr).not.toContain(SENTINEL);
  });

  it("runs and status name it too", () => {
    for (const args of [
      ["runs", "-f", "azure.yaml"],
      ["status", "-f", "azure.yaml"],
    ]) {
      const r = cli(p.dir, args, { env: { MY_STORAGE: `AccountName=acct;AccountKey=${SENTINEL}` } });
      expectRefused(r, "environment.state: the connection string in MY_STORAGE is malformed");
      expect(r.stdout + r.stderr).not.toContain(SENTINEL);
    }
  });
});

describe("every Azure connection string kind", async () => {
  const { chooseConnection, connectionStringProblem } = await import("../../src/providers/azure/connection-options.js");
  const ctx = (value: string): ProviderContext => ({
    stateDir: ".cutover",
    baseDir: ".",
    name: "flags",
    secret: () => value,
  });
  it("App Configuration needs Endpoint, Id and Secret", () => {
    expect(connectionStringProblem(`Endpoint=https://s.azconfig.io;Id=x`, "azure-appconfig")).toBe("it lacks Secret");
    expect(
      connectionStringProblem(`Endpoint=https://s.azconfig.io;Id=x;Secret=${SENTINEL}`, "azure-appconfig"),
    ).toBeUndefined();
    let err: unknown;
    try {
      chooseConnection(
        ctx(`Endpoint=nope;Id=x;Secret=${SENTINEL}`),
        { connectionStringSecret: "MY_AC" },
        "azure-appconfig",
      );
    } catch (e) {
      err = e;
    }
    expect(isCutoverError(err, "CONFIG_INVALID")).toBe(true);
    expect((err as Error).message).toBe(
      "environment.flags: the connection string in MY_AC is malformed: Endpoint is not an http(s) URL",
    );
  });
  it("queues accept the forms the SDK accepts", () => {
    for (const ok of [
      "UseDevelopmentStorage=true",
      `DefaultEndpointsProtocol=https;AccountName=a;AccountKey=${SENTINEL};EndpointSuffix=core.windows.net`,
      `QueueEndpoint=https://a.queue.core.windows.net;SharedAccessSignature=sv=1`,
      `AccountName=a;AccountKey=k;QueueEndpoint=http://127.0.0.1:10001/a`,
    ]) {
      expect(connectionStringProblem(ok, "azure-queue"), ok).toBeUndefined();
    }
    expect(connectionStringProblem("QueueEndpoint=https://a;SharedAccessSignature", "azure-queue")).toBe(
      "part 2 of 2 is not name=value",
    );
    expect(connectionStringProblem("TableEndpoint=https://a;SharedAccessSignature=x", "azure-queue")).toBe(
      "a SharedAccessSignature needs QueueEndpoint",
    );
  });
});
