/** The two CI auth modes' requirements, read from what GitHub Actions and Azure Pipelines set (issue 12, defect 2). */
import { afterEach, describe, expect, it } from "vitest";
import { AzurePipelinesCredential, ClientAssertionCredential } from "@azure/identity";
import {
  defaultCredentialFactory,
  getCredential,
  setCredentialFactory,
  staticTokenCredential,
} from "../../src/providers/azure/credential.js";
import { credentialRequest } from "../../src/providers/azure/auth-options.js";
import { ErrorCode, isCutoverError } from "../../src/core/errors.js";

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  setCredentialFactory(() => staticTokenCredential());
});

const failure = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe("CI auth modes", () => {
  it("github-oidc: ClientAssertionCredential, client and tenant from azure/login's AZURE_CLIENT_ID / AZURE_TENANT_ID", () => {
    process.env.ACTIONS_ID_TOKEN_REQUEST_URL = "https://pipelines.actions.githubusercontent.com/x?api-version=2.0";
    process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = "t";
    const env = { AZURE_CLIENT_ID: "c", AZURE_TENANT_ID: "t" };
    expect(credentialRequest("github-oidc", env)).toEqual({ mode: "github-oidc", clientId: "c", tenantId: "t" });
    // Other modes never read them: a managed identity without clientId stays system-assigned.
    expect(credentialRequest("managed-identity", env)).toEqual({ mode: "managed-identity" });
    expect(defaultCredentialFactory(credentialRequest("github-oidc", env))).toBeInstanceOf(ClientAssertionCredential);
  });

  it("github-oidc outside a job with id-token: write is a CONFIG error naming the permission", () => {
    delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
    delete process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    setCredentialFactory(defaultCredentialFactory);
    const e = failure(() => getCredential({ mode: "github-oidc", clientId: "c", tenantId: "t" }));
    expect(isCutoverError(e, ErrorCode.Config) && e.message).toMatch(/ACTIONS_ID_TOKEN_REQUEST_URL/);
    expect(isCutoverError(e) && e.hint).toMatch(/id-token: write/);
  });

  it("azure-pipelines: AzurePipelinesCredential from the AzureCLI@2 task's AZURESUBSCRIPTION_* and SYSTEM_ACCESSTOKEN", () => {
    const env = {
      AZURESUBSCRIPTION_CLIENT_ID: "c",
      AZURESUBSCRIPTION_TENANT_ID: "t",
      AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: "sc",
    };
    expect(credentialRequest("azure-pipelines", env)).toEqual({
      mode: "azure-pipelines",
      clientId: "c",
      tenantId: "t",
      serviceConnectionId: "sc",
    });
    expect(credentialRequest({ mode: "azure-pipelines", serviceConnectionId: "mine" }, env).serviceConnectionId).toBe(
      "mine",
    );
    process.env.SYSTEM_OIDCREQUESTURI = "https://dev.azure.com/org/project/_apis/distributedtask/hubs/build/plans/p";
    process.env.SYSTEM_ACCESSTOKEN = "s";
    expect(defaultCredentialFactory(credentialRequest("azure-pipelines", env))).toBeInstanceOf(
      AzurePipelinesCredential,
    );
  });

  it("azure-pipelines without SYSTEM_ACCESSTOKEN mapped into the step is a CONFIG error saying how to map it", () => {
    delete process.env.SYSTEM_ACCESSTOKEN;
    setCredentialFactory(defaultCredentialFactory);
    const e = failure(() =>
      getCredential({ mode: "azure-pipelines", clientId: "c", tenantId: "t", serviceConnectionId: "sc" }),
    );
    expect(isCutoverError(e, ErrorCode.Config) && e.message).toMatch(/azure-pipelines needs a System.AccessToken/);
    expect(isCutoverError(e) && e.hint).toContain("SYSTEM_ACCESSTOKEN: $(System.AccessToken)");
    const noConnection = failure(() => getCredential({ mode: "azure-pipelines", clientId: "c", tenantId: "t" }));
    expect(isCutoverError(noConnection) && noConnection.message).toMatch(/serviceConnectionId/);
  });
});
