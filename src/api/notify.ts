/**
 * Webhook notifications (`notify:` in the playbook), delivered at least once from the journal:
 *
 * - A notification follows a journal event that is already durable (run.paused, run.finished), so a crash can
 *   lose only its delivery, never its cause. Each delivery ends in `notify.sent` (a 2xx) or `notify.failed`
 *   (bounded retries spent), keyed `<runId>:<eventSeq>:<target>`. A session that opens a run sends every
 *   notification the journal owes (an event with neither): a crash before delivery re-sends on `resume`.
 *   The key goes out as the `Idempotency-Key` header, so a receiver can drop the rare duplicate.
 * - A webhook never fails or holds up the release: delivery runs beside the steps, each attempt is bounded
 *   (5 s), retries are bounded (3 attempts, 1 s then 2 s apart; 4xx other than 408/429 is not retried), and
 *   every error is caught. The session waits for deliveries in flight before it lets go of the run.
 * - The URL is a secret (`${{ secrets.NAME }}`): it is registered with the redactor, and never printed, logged
 *   or journaled; the journal names a target by its index, errors by status code or socket error code.
 */
import type { NotifyEvent, RunEvent, RunEventBody } from "../engine/events.js";
import type { Journal } from "../engine/journal.js";
import type { Redactor } from "../engine/redact.js";
import { sleep, timeoutSignal } from "../core/timers.js";
import type { Json } from "../core/json.js";
import { webhookSecretName, type Playbook } from "../playbook/schema.js";
import { lookupSecret } from "../runtime.js";
import { bodyOf, messageOf, notifyEventOf } from "./notify-body.js";

interface Target {
  index: number;
  format: "slack" | "teams" | "generic";
  events: ReadonlySet<string>;
  secret: string;
  url?: string;
}

export interface DeliveryPolicy {
  attempts: number;
  /** Time limit of one POST. */
  timeoutMs: number;
  /** Wait before the second attempt; doubles after. */
  backoffMs: number;
}

const POLICY: DeliveryPolicy = { attempts: 3, timeoutMs: 5_000, backoffMs: 1_000 };

type ErrorInfo = { code: string; message: string; retryable?: boolean };

export class Notifier {
  private readonly inflight = new Set<Promise<void>>();
  /** Keys this process has taken on (delivered, failed or under way). */
  private readonly taken = new Set<string>();

  private constructor(
    private readonly journal: Journal,
    private readonly targets: Target[],
    private readonly redactor: Redactor,
    private readonly run: { playbook: string; environment: string },
    private readonly userAgent: string,
    private readonly policy: DeliveryPolicy,
  ) {}

  /** A notifier for the playbook's `notify:` targets (none: undefined); their URLs are registered as secrets. */
  static create(
    playbook: Playbook,
    journal: Journal,
    opts: { env: NodeJS.ProcessEnv; redactor: Redactor; userAgent: string; policy?: Partial<DeliveryPolicy> },
  ): Notifier | undefined {
    if (!playbook.notify?.length) return undefined;
    const targets = playbook.notify.map((t, index): Target => {
      const secret = webhookSecretName(t.webhook.url) ?? "";
      const url = lookupSecret(opts.env, secret);
      opts.redactor.add(url);
      return { index, format: t.format, events: new Set(t.events), secret, url };
    });
    const run = { playbook: playbook.name, environment: journal.state.environment };
    return new Notifier(journal, targets, opts.redactor, run, opts.userAgent, { ...POLICY, ...opts.policy });
  }

  /** Send what the journal owes: each notifiable event without a notify.sent or notify.failed of its key. */
  catchUp(events: readonly RunEvent[]): void {
    for (const e of events) if (e.type === "notify.sent" || e.type === "notify.failed") this.taken.add(e.key);
    for (const e of events) this.observe(e);
  }

  /** A journal event just became durable: notify the targets that subscribe to it. */
  observe(e: RunEvent): void {
    const event = notifyEventOf(e);
    if (!event) return;
    for (const t of this.targets) {
      if (!t.events.has(event)) continue;
      const key = `${e.runId}:${e.seq}:${t.index}`;
      if (this.taken.has(key)) continue;
      this.taken.add(key);
      const p = this.deliver(e, event, t, key).catch(() => undefined);
      this.inflight.add(p);
      void p.finally(() => this.inflight.delete(p));
    }
  }

  /** Wait for the deliveries under way (each bounded by the policy); never throws. */
  async settle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private async deliver(e: RunEvent, event: NotifyEvent, t: Target, key: string): Promise<void> {
    const record = { key, target: t.index, event, eventSeq: e.seq };
    if (!t.url) {
      const message = `notify[${t.index}]: the secret ${t.secret} is not set (CUTOVER_SECRET_${t.secret} or ${t.secret})`;
      return this.append({ type: "notify.failed", ...record, attempts: 1, error: { code: "NOTIFY_NO_URL", message } });
    }
    const message = this.redactor.redactJson(messageOf(e, event, key, this.run) as unknown as Json);
    const body = JSON.stringify(bodyOf(message as unknown as Parameters<typeof bodyOf>[0], t.format));
    let error: ErrorInfo = { code: "NOTIFY_FAILED", message: "not attempted" };
    let attempt = 0;
    while (attempt < this.policy.attempts) {
      attempt += 1;
      const result = await this.post(t.url, key, body);
      if (typeof result === "number") {
        return this.append({ type: "notify.sent", ...record, attempts: attempt, status: result });
      }
      error = result;
      if (result.retryable === false) break;
      if (attempt < this.policy.attempts) await sleep(this.policy.backoffMs * 2 ** (attempt - 1));
    }
    const { code, message: why } = error;
    const last = `notify[${t.index}] (${t.format}) ${event}: ${why} after ${attempt} attempt${attempt > 1 ? "s" : ""}`;
    return this.append({ type: "notify.failed", ...record, attempts: attempt, error: { code, message: last } });
  }

  /** One POST: the 2xx status, or why not (never the URL: status codes and socket error codes only). */
  private async post(url: string, key: string, body: string): Promise<number | ErrorInfo> {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": key, "user-agent": this.userAgent },
        body,
        redirect: "error", // a redirect would send the body (and the key) somewhere the secret did not name
        signal: timeoutSignal(this.policy.timeoutMs, "notify timeout"),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return res.status;
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
      return { code: "NOTIFY_HTTP", message: `HTTP ${res.status}`, retryable };
    } catch (e) {
      const err = e as { name?: string; cause?: { code?: unknown } };
      if (err.name === "TimeoutError")
        return { code: "NOTIFY_TIMEOUT", message: `no answer within ${this.policy.timeoutMs} ms` };
      const cause = typeof err.cause?.code === "string" ? err.cause.code : (err.name ?? "error");
      return { code: "NOTIFY_UNREACHABLE", message: `could not connect (${cause})` };
    }
  }

  /** Journal a delivery's end; a journal that cannot take it (lease lost) only means a re-send later. */
  private async append(body: Extract<RunEventBody, { type: "notify.sent" | "notify.failed" }>): Promise<void> {
    await this.journal.append(body).catch(() => undefined);
  }
}
