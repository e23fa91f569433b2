/**
 * The client assertion of auth mode `github-oidc`: a GitHub Actions OIDC ID
 * token, fetched anew every time Entra ID is asked for a token.
 *
 * GitHub hands a job no token file (there is no AZURE_FEDERATED_TOKEN_FILE
 * in Actions), only a URL and a bearer token to ask for one
 * (ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN, present
 * when the job has `permissions: id-token: write`), and each ID token lives
 * about 5 minutes. Fetching one per Entra request (never caching it) is what
 * lets a release that asks for a scope 40 minutes in still sign in.
 * Source: "Security hardening with OpenID Connect" / "Configuring OpenID
 * Connect in Azure" in docs.github.com (actions/security-for-github-actions),
 * and the request @actions/core's getIDToken() makes.
 */
import { CutoverError, ErrorCode } from "../../core/errors.js";

/** The audience Entra ID expects in a federated credential's assertion. */
const ENTRA_FEDERATION_AUDIENCE = "api://AzureADTokenExchange";

const REQUEST_TIMEOUT_MS = 30_000;

/** A getAssertion callback for ClientAssertionCredential; throws CONFIG_INVALID when the job cannot get a token. */
export function githubOidcAssertion(env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) {
    throw new CutoverError(
      ErrorCode.Config,
      "auth mode github-oidc needs ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN, which GitHub " +
        "sets only in a workflow job with `permissions: id-token: write`",
      { hint: "add `permissions: { id-token: write, contents: read }` to the job (docs/azure.md, CI)" },
    );
  }
  return async () => {
    const url = new URL(requestUrl);
    url.searchParams.set("audience", ENTRA_FEDERATION_AUDIENCE);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `bearer ${requestToken}`, accept: "application/json" },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (e) {
      throw new Error(`GitHub's OIDC token endpoint did not answer: ${(e as Error).message}`, { cause: e });
    }
    // The answer's body is not quoted: only the status says why (it never holds the token on failure anyway).
    if (!res.ok) throw new Error(`GitHub's OIDC token endpoint answered HTTP ${res.status}`);
    const body = (await res.json().catch(() => undefined)) as { value?: unknown } | undefined;
    if (typeof body?.value !== "string" || body.value === "")
      throw new Error("GitHub's OIDC token endpoint answered without a token (`value`)");
    return body.value;
  };
}
