/**
 * Issue 12, defect 2: CI identities. GitHub Actions gives a job no token file, only a URL to ask for a
 * 5-minute ID token; `--auth github-oidc` asks for a fresh one for every Entra token request, and a run signs
 * in for every scope its environment needs before it changes anything (exit 2 naming the scope and the mode).
 *
 * The built CLI runs against a stand-in for GitHub's ID-token endpoint, one for Entra ID's token endpoint
 * (reached the way the SDK lets any cloud be: AZURE_AUTHORITY_HOST), the ARM fake and the App Configuration
 * fake accepting the bearer tokens the Entra stand-in issued.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startArmFake, type ArmFake } from "./fakes/arm-server.js";
import { startAppConfigFake, type AppConfigFake } from "./fakes/appconfig-server.js";
import {
  startEntraFake,
  startGitHubOidcFake,
  startPipelinesOidcFake,
  type EntraFake,
  type GitHubOidcFake,
  type PipelinesOidcFake,
} from "./fakes/entra-server.js";
import { caBundleFile, testCert } from "./fakes/tls.js";
import { BIN, startCli } from "../support/cli.js";

let arm: ArmFake;
let appConfig: AppConfigFake;
let github: GitHubOidcFake;
let entra: EntraFake;
let pipelines: PipelinesOidcFake;
let dir: string;

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first`);
  [arm, appConfig, github, entra, pipelines] = await Promise.all([
    startArmFake(),
    startAppConfigFake(),
    startGitHubOidcFake(),
    startEntraFake(),
    startPipelinesOidcFake(),
  ]);
  appConfig.acceptBearer = (t) => entra.issued.has(t);
});
afterAll(async () => {
  await Promise.all([arm?.close(), appConfig?.close(), github?.close(), entra?.close(), pipelines?.close()]);
});
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "cutover-ci-identity-"));
  appConfig.settings.clear();
  appConfig.bearerTokensSeen.length = 0;
  appConfig.requests.length = 0;
  arm.requests.length = 0;
  github.issued.length = 0;
  github.requests.length = 0;
  github.failWith = undefined;
  entra.tokenRequests.length = 0;
  pipelines.issued.length = 0;
  pipelines.requests.length = 0;
  entra.refuseScope = undefined;
  return () => rmSync(dir, { recursive: true, force: true });
});

function playbook(): string {
  const file = path.join(dir, "release.yaml");
  writeFileSync(
    file,
    [
      "version: 1",
      "name: ci-identity",
      "environment:",
      "  name: shop-ci",
      "  app:",
      "    provider: azure-appservice",
      "    subscriptionId: 00000000-0000-0000-0000-000000000000",
      "    resourceGroup: rg-test",
      "    app: shop",
      `    endpoint: ${arm.url}`,
      "  flags:",
      "    provider: azure-appconfig",
      `    endpoint: ${appConfig.url}`,
      "    mode: key-value",
      "steps:",
      "  - id: maintenance-on",
      "    action: flag.set",
      "    with: { name: Maintenance, value: true }",
      "",
    ].join("\n"),
  );
  return file;
}

async function run(
  auth: string[] = ["--auth", "github-oidc", "--client-id", "app-id", "--tenant-id", "tid"],
  env = {},
) {
  const cli = startCli(["run", playbook(), ...auth], {
    stateDir: path.join(dir, "state"),
    env: {
      ACTIONS_ID_TOKEN_REQUEST_URL: github.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: github.requestToken,
      ...env,
      AZURE_AUTHORITY_HOST: entra.authorityHost,
      NODE_EXTRA_CA_CERTS: caBundleFile(testCert()),
      NO_PROXY: "127.0.0.1,localhost",
    },
  });
  return cli.done;
}

const ARM_SCOPE = () => `${new URL(arm.url).origin}/.default`;
const APPCONFIG_SCOPE = "https://appconfig.azure.com/.default";

describe("auth mode github-oidc", () => {
  it("signs in for every scope at the start, each Entra request with a freshly fetched GitHub ID token", async () => {
    const res = await run();
    expect(res.code, res.stderr).toBe(0);
    // The run signed in for each scope (ARM, App Configuration) first, before the step ran; the step's client
    // may ask again (the SDK decides when its token needs refreshing).
    const scopes = entra.tokenRequests.map((r) => r.scope?.split(" ").find((x) => x.endsWith("/.default")));
    expect(scopes.slice(0, 2)).toEqual([ARM_SCOPE(), APPCONFIG_SCOPE]);
    expect(new Set(scopes)).toEqual(new Set([ARM_SCOPE(), APPCONFIG_SCOPE]));
    expect(entra.tokenRequests.every((r) => r.clientId === "app-id" && r.tenant === "tid")).toBe(true);
    // A new GitHub token for each: never one fetched earlier and reused.
    // (MSAL may call getAssertion more than once per request; each call fetches anew.)
    const assertions = entra.tokenRequests.map((r) => r.assertion ?? "");
    expect(new Set(assertions).size).toBe(assertions.length);
    for (const a of assertions) expect(github.issued).toContain(a);
    expect(github.requests.length).toBeGreaterThanOrEqual(assertions.length);
    expect(github.requests.every((r) => r.audience === "api://AzureADTokenExchange" && r.authorized)).toBe(true);
    // The step used the Entra token: the flag is set, through bearer auth.
    expect(appConfig.get("Maintenance")?.value).toBe("true");
    expect(appConfig.bearerTokensSeen.length).toBeGreaterThan(0);
    // Neither token is printed.
    for (const t of [github.requestToken, ...github.issued, ...entra.issued])
      expect(res.stdout + res.stderr).not.toContain(t);
  });

  it("a GitHub token that cannot be fetched fails the run with exit 2 before anything changes", async () => {
    github.failWith = 403; // e.g. the job lacks `permissions: id-token: write`
    const res = await run();
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`scope ${ARM_SCOPE()} (auth mode github-oidc)`);
    expect(res.stderr).toMatch(/HTTP 403/);
    expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
    expect(entra.tokenRequests).toEqual([]);
    expect(arm.requests).toEqual([]);
    expect(appConfig.requests).toEqual([]);
    expect(appConfig.get("Maintenance")).toBeUndefined();
    // No run was journaled (the state directory is not even created).
    const state = path.join(dir, "state");
    expect(existsSync(state) ? readdirSync(state, { recursive: true }) : []).toEqual([]);
  });

  it("a scope Entra refuses (no federated credential matching) fails at the start too, naming that scope", async () => {
    entra.refuseScope = "https://appconfig.azure.com";
    const res = await run();
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      `environment.flags: cannot sign in to Microsoft Entra ID for scope ${APPCONFIG_SCOPE}`,
    );
    expect(res.stderr).toContain("auth mode github-oidc");
    expect(res.stderr).toContain("AADSTS700213");
    expect(appConfig.get("Maintenance")).toBeUndefined();
    expect(appConfig.requests).toEqual([]);
  });
});

describe("auth mode azure-pipelines", () => {
  const pipelineEnv = () => ({
    // What an AzureCLI@2 task sets, and the mapped System.AccessToken.
    AZURESUBSCRIPTION_CLIENT_ID: "sc-app-id",
    AZURESUBSCRIPTION_TENANT_ID: "sc-tid",
    AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: "sc-guid",
    SYSTEM_OIDCREQUESTURI: pipelines.requestUri,
    SYSTEM_ACCESSTOKEN: pipelines.accessToken,
  });

  it("signs in through the service connection: the pipeline's OIDC token is the assertion of each Entra request", async () => {
    const res = await run(["--auth", "azure-pipelines"], pipelineEnv());
    expect(res.code, res.stderr).toBe(0);
    expect(entra.tokenRequests.length).toBeGreaterThanOrEqual(2);
    expect(entra.tokenRequests.every((r) => r.clientId === "sc-app-id" && r.tenant === "sc-tid")).toBe(true);
    for (const r of entra.tokenRequests) expect(pipelines.issued).toContain(r.assertion);
    expect(pipelines.requests[0]).toEqual({
      method: "POST",
      serviceConnectionId: "sc-guid",
      apiVersion: "7.1",
      authorized: true,
    });
    expect(appConfig.get("Maintenance")?.value).toBe("true");
    expect(res.stdout + res.stderr).not.toContain(pipelines.accessToken);
  });

  it("without SYSTEM_ACCESSTOKEN mapped into the step: exit 2 before anything changes, saying how to map it", async () => {
    const res = await run(["--auth", "azure-pipelines"], { ...pipelineEnv(), SYSTEM_ACCESSTOKEN: undefined });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("auth mode azure-pipelines");
    expect(res.stderr).toContain("SYSTEM_ACCESSTOKEN: $(System.AccessToken)");
    expect(pipelines.requests).toEqual([]);
    expect(appConfig.requests).toEqual([]);
  });
});
