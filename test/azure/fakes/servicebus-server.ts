/**
 * A local HTTPS server speaking the part of the Service Bus ATOM management
 * API that @azure/service-bus's ServiceBusAdministrationClient uses to read
 * runtime counts: `GET /<queue>?api-version=2021-05` (QueueDescription),
 * `GET /<topic>` (TopicDescription) and `GET /<topic>/Subscriptions/<sub>`
 * (SubscriptionDescription), each an Atom `<entry>` whose description holds
 * `MessageCount` and `CountDetails`; a missing entity is 200 with an empty
 * `<feed>`; a request needs `Authorization: Bearer …` or a valid
 * `SharedAccessSignature` (HMAC-SHA256 over `<url-encoded resource>\n<expiry>`
 * with the policy's key), else 401 `<Error>`. There is no Service Bus emulator
 * on npm. Sources: CONFORMANCE.md.
 */
import { createHmac } from "node:crypto";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { ServerResponse } from "node:http";
import { testCert } from "./tls.js";

interface Counts {
  active: number;
  deadLetter: number;
  scheduled: number;
  transfer: number;
  transferDeadLetter: number;
}

export interface ServiceBusFake {
  /** `127.0.0.1:<port>`: the fully qualified namespace the SDK is given. */
  namespace: string;
  /** `Endpoint=sb://127.0.0.1:<port>/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=…`. */
  connectionString: string;
  /** Queues and topics by name, subscriptions by `<topic>/Subscriptions/<sub>` (lower case); edit freely. */
  entities: Map<string, Counts & { kind: Kind }>;
  /** Create or replace an entity; its kind follows the path unless a topic is asked for. */
  set(path: string, counts: Partial<Counts>, kind?: Kind): Counts;
  /** Called before each authenticated GET is answered, with its path and how many times it was read before (0 the first time). */
  onRead?: (path: string, n: number) => void;
  /** Every request's path and how it authenticated. */
  requests: { path: string; auth: "bearer" | "sas" | "none" }[];
  close(): Promise<void>;
}

type Kind = "QueueDescription" | "TopicDescription" | "SubscriptionDescription";

const KEY_NAME = "RootManageSharedAccessKey";
const KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seQ==";

export async function startServiceBusFake(): Promise<ServiceBusFake> {
  const cert = testCert();
  const entities = new Map<string, Counts & { kind: Kind }>();
  const fake: ServiceBusFake = {
    namespace: "",
    connectionString: "",
    entities,
    requests: [],
    set(path, counts, kind) {
      const k = kind ?? (/\/Subscriptions\//i.test(path) ? "SubscriptionDescription" : "QueueDescription");
      const c = { active: 0, deadLetter: 0, scheduled: 0, transfer: 0, transferDeadLetter: 0, ...counts, kind: k };
      entities.set(path.toLowerCase(), c);
      return c;
    },
    close: async () => undefined,
  };
  const xml = (res: ServerResponse, status: number, body: string, type = "application/atom+xml;type=entry") => {
    res.writeHead(status, { "content-type": `${type};charset=utf-8` });
    res.end(body);
  };
  const server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    const url = new URL(req.url ?? "/", `https://${fake.namespace}`);
    const path = decodeURIComponent(url.pathname.slice(1));
    const auth = authenticate(req.headers.authorization, fake.namespace);
    fake.requests.push({ path, auth: auth === "bearer" || auth === "sas" ? auth : "none" });
    if (auth !== "bearer" && auth !== "sas")
      return xml(
        res,
        401,
        `<Error><Code>401</Code><Detail>${auth}. TrackingId:fake</Detail></Error>`,
        "application/xml",
      );
    if (req.method !== "GET" || !url.searchParams.get("api-version"))
      return xml(res, 400, "<Error><Code>400</Code><Detail>Bad Request</Detail></Error>", "application/xml");
    const n = fake.requests.filter((r) => r.path === path && r.auth !== "none").length - 1;
    fake.onRead?.(path, n);
    const counts = entities.get(path.toLowerCase());
    if (!counts) return xml(res, 200, emptyFeed(url), "application/atom+xml;type=feed");
    xml(res, 200, entry(url, path, counts));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  fake.namespace = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.connectionString = `Endpoint=sb://${fake.namespace}/;SharedAccessKeyName=${KEY_NAME};SharedAccessKey=${KEY}`;
  fake.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return fake;
}

/** "bearer", "sas", or why the request is refused (the service's 401 Detail). */
function authenticate(header: string | undefined, namespace: string): string {
  if (!header) return "MissingToken: The request is missing an authorization header";
  if (/^Bearer \S+/.test(header)) return "bearer";
  const m = /^SharedAccessSignature (.+)$/.exec(header);
  if (!m) return "InvalidSignature: The token has an invalid signature";
  const f = new URLSearchParams(m[1]!.replace(/\+/g, "%2B"));
  const sr = f.get("sr") ?? "";
  const se = f.get("se") ?? "";
  const sig = f.get("sig") ?? "";
  if (f.get("skn") !== KEY_NAME) return `Unauthorized: the shared access policy ${f.get("skn")} does not exist`;
  if (!decodeURIComponent(sr).includes(namespace)) return "InvalidAudience: The token audience is not this namespace";
  if (Number(se) * 1000 < Date.now()) return "ExpiredToken: The token is expired";
  const expected = createHmac("sha256", KEY).update(
    `${encodeURIComponent(decodeURIComponent(sr)).toLowerCase()}\n${se}`,
  );
  return expected.digest("base64") === sig ? "sas" : "InvalidSignature: The token has an invalid signature";
}

const SB = "http://schemas.microsoft.com/netservices/2010/10/servicebus/connect";
const COUNTS_NS = "http://schemas.microsoft.com/netservices/2011/06/servicebus";
const STAMP = "2026-01-01T00:00:00Z";

function emptyFeed(url: URL): string {
  return (
    `<feed xmlns="http://www.w3.org/2005/Atom"><title type="text">Publicly Listed Services</title>` +
    `<subtitle type="text">This is the list of publicly-listed services currently available.</subtitle>` +
    `<id>uuid:00000000-0000-0000-0000-000000000000;id=1</id><updated>${STAMP}</updated>` +
    `<generator>Service Bus 1.1</generator><link rel="self" href="${url.href}"/></feed>`
  );
}

function entry(url: URL, path: string, c: Counts & { kind: Kind }): string {
  const kind = c.kind;
  const details =
    `<CountDetails xmlns:d2p1="${COUNTS_NS}">` +
    `<d2p1:ActiveMessageCount>${c.active}</d2p1:ActiveMessageCount>` +
    `<d2p1:DeadLetterMessageCount>${c.deadLetter}</d2p1:DeadLetterMessageCount>` +
    `<d2p1:ScheduledMessageCount>${c.scheduled}</d2p1:ScheduledMessageCount>` +
    `<d2p1:TransferMessageCount>${c.transfer}</d2p1:TransferMessageCount>` +
    `<d2p1:TransferDeadLetterMessageCount>${c.transferDeadLetter}</d2p1:TransferDeadLetterMessageCount>` +
    `</CountDetails>`;
  const total = c.active + c.deadLetter + c.scheduled + c.transfer + c.transferDeadLetter;
  const body =
    `<${kind} xmlns="${SB}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">` +
    `<LockDuration>PT1M</LockDuration><SizeInBytes>${total * 256}</SizeInBytes>` +
    `<MaxDeliveryCount>10</MaxDeliveryCount><MessageCount>${total}</MessageCount>` +
    (kind === "TopicDescription" ? `<SubscriptionCount>1</SubscriptionCount>` : "") +
    `<Status>Active</Status><CreatedAt>${STAMP}</CreatedAt><UpdatedAt>${STAMP}</UpdatedAt>` +
    `<AccessedAt>${STAMP}</AccessedAt>${details}<EntityAvailabilityStatus>Available</EntityAvailabilityStatus>` +
    `</${kind}>`;
  const self = `https://${url.host}/${path}?api-version=${url.searchParams.get("api-version")}`;
  return (
    `<entry xmlns="http://www.w3.org/2005/Atom"><id>${self}</id>` +
    `<title type="text">${path.split("/").pop()}</title><published>${STAMP}</published><updated>${STAMP}</updated>` +
    `<author><name>fake</name></author><link rel="self" href="${self}"/>` +
    `<content type="application/xml">${body}</content></entry>`
  );
}
