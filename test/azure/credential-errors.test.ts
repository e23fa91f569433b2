import { afterEach, describe, expect, it } from "vitest";
import {
  AzureCliCredential,
  DefaultAzureCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { RestError } from "@azure/core-rest-pipeline";
import {
  defaultCredentialFactory,
  getCredential,
  resolveAuthMode,
  setCredentialFactory,
  staticTokenCredential,
  type CredentialFactory,
} from "../../src/providers/azure/credential.js";
import { translateAzureError } from "../../src/providers/azure/errors.js";
import { azureAppServiceProvider } from "../../src/providers/azure/appservice-provider.js";
import { azureTableProvider } from "../../src/providers/azure/table-provider.js";
import { ErrorCode, isCutoverError, type CutoverError } from "../../src/core/errors.js";

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  setCredentialFactory(() => staticTokenCredential());
});

describe("identity", () => {
  it("picks the mode from the config, then CUTOVER_AZURE_AUTH, then default", () => {
    expect(resolveAuthMode({ mode: "cli" }, { CUTOVER_AZURE_AUTH: "environment" })).toBe("cli");
    expect(resolveAuthMode(undefined, { CUTOVER_AZURE_AUTH: "managed-identity" })).toBe("managed-identity");
    expect(resolveAuthMode(undefined, {})).toBe("default");
    expect(resolveAuthMode("workload-identity", { CUTOVER_AZURE_AUTH: "cli" })).toBe("workload-identity");
    expect(() => resolveAuthMode(undefined, { CUTOVER_AZURE_AUTH: "bogus" })).toThrow();
  });

  it("maps each mode to one credential class (constructing none of them probes anything)", () => {
    expect(defaultCredentialFactory({ mode: "cli" })).toBeInstanceOf(AzureCliCredential);
    expect(defaultCredentialFactory({ mode: "environment" })).toBeInstanceOf(EnvironmentCredential);
    expect(
      defaultCredentialFactory({ mode: "managed-identity", clientId: "11111111-1111-1111-1111-111111111111" }),
    ).toBeInstanceOf(ManagedIdentityCredential);
    process.env.AZURE_FEDERATED_TOKEN_FILE = "/nonexistent/token"; // read at getToken, not here
    expect(defaultCredentialFactory({ mode: "workload-identity", clientId: "c", tenantId: "t" })).toBeInstanceOf(
      WorkloadIdentityCredential,
    );
    expect(defaultCredentialFactory({ mode: "default" })).toBeInstanceOf(DefaultAzureCredential);
  });

  it("a mode whose requirements are missing fails as a CONFIG error when the provider is made", () => {
    setCredentialFactory(defaultCredentialFactory);
    delete process.env.AZURE_FEDERATED_TOKEN_FILE;
    const e = (() => {
      try {
        getCredential({ mode: "workload-identity", clientId: "c", tenantId: "t" });
      } catch (x) {
        return x;
      }
    })();
    expect(isCutoverError(e, ErrorCode.Config)).toBe(true);
  });

  it("provider configs take `auth: <mode>` or `auth: { mode, clientId, tenantId }`", () => {
    const base = { subscriptionId: "s", resourceGroup: "rg", app: "a" };
    expect(azureAppServiceProvider.config.parse({ ...base, auth: "cli" }).auth).toBe("cli");
    expect(
      azureAppServiceProvider.config.parse({ ...base, auth: { mode: "managed-identity", clientId: "c" } }).auth,
    ).toEqual({ mode: "managed-identity", clientId: "c" });
    expect(azureAppServiceProvider.config.safeParse({ ...base, auth: "password" }).success).toBe(false);
    expect(
      azureTableProvider.config.safeParse({
        endpoint: "https://a.table.core.windows.net",
        auth: { mode: "cli", extra: 1 },
      }).success,
    ).toBe(false);
  });

  it("an injected factory is used, once per option set", () => {
    const calls: unknown[] = [];
    const factory: CredentialFactory = (o) => {
      calls.push(o);
      return staticTokenCredential("x");
    };
    setCredentialFactory(factory);
    const a = getCredential({ mode: "cli", tenantId: "t1" });
    expect(getCredential({ mode: "cli", tenantId: "t1" })).toBe(a);
    getCredential({ mode: "environment" });
    expect(calls).toEqual([
      { mode: "cli", clientId: undefined, tenantId: "t1" },
      { mode: "environment", clientId: undefined, tenantId: undefined },
    ]);
  });

  it("a credential that cannot sign in becomes a CONFIG error naming the auth modes", async () => {
    process.env.AZURE_TOKEN_CREDENTIALS = "EnvironmentCredential"; // fail fast, no IMDS probe
    delete process.env.AZURE_CLIENT_ID;
    delete process.env.AZURE_TENANT_ID;
    delete process.env.AZURE_CLIENT_SECRET;
    const cred = defaultCredentialFactory({ mode: "default" });
    const e = await cred.getToken("https://management.azure.com/.default").catch((x: unknown) => x);
    const t = translateAzureError(e, { service: "App Service", operation: "read slot state", resource: "web app a" });
    expect(isCutoverError(t, ErrorCode.Config)).toBe(true);
    expect((t as CutoverError).hint).toMatch(/auth\.mode/);
  });
});

describe("error translation", () => {
  const ctx = {
    service: "Table Storage" as const,
    operation: "append to the journal",
    resource: "run r1 in table cutover",
  };
  const rest = (status: number, code?: string) => new RestError(`boom ${status}`, { statusCode: status, code });
  const t = (e: unknown) => translateAzureError(e, ctx) as CutoverError;

  it("401/403 name the identity and the missing role", () => {
    expect(t(rest(401)).hint).toMatch(/Storage Table Data Contributor/);
    const denied = t(rest(403, "AuthorizationPermissionMismatch"));
    expect(denied.message).toMatch(/missing the role Storage Table Data Contributor/);
    expect(denied.message).toContain("AuthorizationPermissionMismatch");
    expect(translateAzureError(rest(403), { ...ctx, service: "App Configuration" })).toHaveProperty(
      "message",
      expect.stringMatching(/App Configuration Data Owner/),
    );
  });

  it("404 names the resource; 409/412 say someone else changed it (retryable)", () => {
    expect(t(rest(404)).message).toMatch(/run r1 in table cutover does not exist/);
    for (const s of [409, 412]) {
      const c = t(rest(s));
      expect(c.message).toMatch(/changed by someone else/);
      expect(c.retryable).toBe(true);
    }
  });

  it("throttling left after the SDK's retries, 5xx and network errors are retryable; other 4xx are not", () => {
    expect(t(rest(429)).retryable).toBe(true);
    expect(t(rest(503)).retryable).toBe(true);
    expect(t(rest(500)).retryable).toBe(true);
    expect(t(rest(400)).retryable).toBe(false);
    expect(t(new RestError("socket hang up", { code: "ECONNRESET" })).retryable).toBe(true);
  });

  it("keeps CutoverErrors and aborts as they are, and shortens odata JSON messages", () => {
    const abort = Object.assign(new Error("aborted"), { name: "AbortError" });
    expect(translateAzureError(abort, ctx)).toBe(abort);
    const odata = new RestError(
      JSON.stringify({
        "odata.error": { code: "X", message: { value: "The specified entity already exists.\nRequestId:1" } },
      }),
      { statusCode: 409 },
    );
    expect(t(odata).message).toContain("The specified entity already exists.");
    expect(t(odata).message).not.toContain("RequestId");
  });
});
