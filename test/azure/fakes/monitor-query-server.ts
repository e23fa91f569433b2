/**
 * A local HTTPS server speaking the Log Analytics query API that
 * @azure/monitor-query's LogsQueryClient.queryWorkspace uses:
 * `POST /v1/workspaces/{workspaceId}/query` with `{ query, timespan }`, a
 * bearer token required, answered with `{ tables: [{ name, columns: [{ name,
 * type }], rows }] }`; an unknown workspace is 404, a query the test marks
 * invalid is 400 `BadArgumentError`, a partial result is 200 with `error`
 * beside the tables. It does not evaluate KQL: the test answers each query
 * (`respond`). Sources: CONFORMANCE.md.
 */
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { ServerResponse } from "node:http";
import { readBody } from "./faults.js";
import { testCert } from "./tls.js";

export type MonitorAnswer =
  | { columns: { name: string; type: string }[]; rows: unknown[][] }
  | { badQuery: string }
  | { partial: string; columns: { name: string; type: string }[]; rows: unknown[][] };

export interface MonitorQueryFake {
  url: string;
  workspaceId: string;
  /** Every query received, with its timespan. */
  queries: { query: string; timespan?: string; prefer?: string }[];
  respond: (query: string) => MonitorAnswer;
  close(): Promise<void>;
}

export async function startMonitorQueryFake(workspaceId: string): Promise<MonitorQueryFake> {
  const cert = testCert();
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const fake: MonitorQueryFake = {
    url: "",
    workspaceId,
    queries: [],
    respond: () => ({ columns: [{ name: "value", type: "real" }], rows: [[0]] }),
    close: async () => undefined,
  };
  const server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    void readBody(req).then((body) => {
      if (!/^Bearer .+/.test(req.headers.authorization ?? ""))
        return json(res, 401, {
          error: { code: "AuthorizationRequiredError", message: "Valid authentication was not provided" },
        });
      const m = /^\/v1\/workspaces\/([^/?]+)\/query$/.exec(new URL(req.url ?? "/", "https://fake").pathname);
      if (req.method !== "POST" || !m)
        return json(res, 404, { error: { code: "PathNotFoundError", message: "no route" } });
      if (m[1] !== workspaceId)
        return json(res, 404, {
          error: { code: "WorkspaceNotFoundError", message: `The workspace could not be found` },
        });
      const input = JSON.parse(body || "{}") as { query?: string; timespan?: string };
      fake.queries.push({
        query: input.query ?? "",
        timespan: input.timespan,
        prefer: String(req.headers.prefer ?? ""),
      });
      const answer = fake.respond(input.query ?? "");
      if ("badQuery" in answer)
        return json(res, 400, {
          error: {
            code: "BadArgumentError",
            message: "The request had some invalid properties",
            innererror: { code: "SyntaxError", message: answer.badQuery },
          },
        });
      const tables = [{ name: "PrimaryResult", columns: answer.columns, rows: answer.rows }];
      if ("partial" in answer)
        return json(res, 200, { tables, error: { code: "PartialError", message: answer.partial, details: [] } });
      json(res, 200, { tables });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  fake.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return fake;
}

/** A failure-rate answer as cutover's query projects it: `rate` (percent) and `total`. */
export function rateAnswer(rate: number, total: number): MonitorAnswer {
  return {
    columns: [
      { name: "rate", type: "real" },
      { name: "total", type: "long" },
    ],
    rows: [[rate, total]],
  };
}
