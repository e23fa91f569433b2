/**
 * What a `notify:` webhook receives: one message per journal event, in the target's format.
 *
 * - slack: `{ text, blocks }` as a Slack incoming webhook takes it (https://api.slack.com/messaging/webhooks):
 *   `text` is the notification fallback, the blocks a section (mrkdwn) and a context line.
 * - teams: `{ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content }] }`,
 *   the Adaptive Card message that Teams incoming webhooks and the Workflows app's "when a Teams webhook request
 *   is received" flows accept (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/
 *   how-to/connectors-using, "Send Adaptive Cards using an Incoming Webhook").
 * - generic: the event as plain JSON, for your own receiver (docs/notifications.md lists every field).
 *
 * Bodies carry what the journal holds (already redacted) and no params; the caller masks the run's secrets again.
 */
import type { NotifyEvent, RunEvent } from "../engine/events.js";
import type { RunState } from "../engine/reducer.js";

export interface NotifyMessage {
  event: NotifyEvent;
  /** Idempotency key: `<runId>:<eventSeq>:<target>`. */
  key: string;
  runId: string;
  playbook: string;
  environment: string;
  seq: number;
  at: string;
  stepId?: string;
  /** One line for a person: what happened and what to do next. */
  title: string;
  text: string;
  /** The commands that act on it (approve, retry/skip/abort), when there are any. */
  next?: string;
  error?: { code: string; message: string };
}

/** The notification a journal event makes, if any (a `--until` stop is a pipeline's own doing: no notification). */
export function notifyEventOf(e: RunEvent): NotifyEvent | undefined {
  if (e.type === "run.finished") return e.outcome;
  if (e.type !== "run.paused") return undefined;
  if (e.reason === "approval") return "gate-waiting";
  return e.reason === "failure" || e.reason === "resume-policy" ? "paused" : undefined;
}

export function messageOf(
  e: RunEvent,
  event: NotifyEvent,
  key: string,
  run: { playbook: string; environment: string },
): NotifyMessage {
  const base = { event, key, runId: e.runId, ...run, seq: e.seq, at: e.at };
  const where = `${run.playbook} in ${run.environment}`;
  if (e.type === "run.paused") {
    const step = e.stepId ?? "";
    if (event === "gate-waiting")
      return {
        ...base,
        stepId: step,
        title: `⏸ ${where}: run ${e.runId} waits for approval at ${step}`,
        text: e.message,
        next: `cutover approve ${e.runId} ${step}  |  cutover abort ${e.runId}`,
      };
    return {
      ...base,
      ...(step ? { stepId: step } : {}),
      title: `⏸ ${where}: run ${e.runId} is paused${step ? ` at ${step}` : ""}`,
      text: e.message,
      next: `cutover retry ${e.runId}  |  cutover skip ${e.runId}  |  cutover abort ${e.runId}`,
    };
  }
  const error = e.type === "run.finished" && e.error ? { code: e.error.code, message: e.error.message } : undefined;
  const mark = { succeeded: "✔", failed: "✖", aborted: "↶", paused: "⏸", "gate-waiting": "⏸" }[event];
  return {
    ...base,
    title: `${mark} ${where}: run ${e.runId} ${event}`,
    text: error ? `[${error.code}] ${error.message}` : `the run finished: ${event}`,
    ...(event === "failed" || event === "aborted" ? { next: `cutover status ${e.runId}` } : {}),
    ...(error ? { error } : {}),
  };
}

/** Slack mrkdwn treats &, < and > as markup (https://api.slack.com/reference/surfaces/formatting#escaping). */
const slackEscape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function bodyOf(m: NotifyMessage, format: "slack" | "teams" | "generic"): unknown {
  const context = `run ${m.runId} · ${m.playbook} · ${m.environment} · ${m.at}`;
  if (format === "slack") {
    const lines = [`*${slackEscape(m.title)}*`, slackEscape(m.text), ...(m.next ? ["`" + m.next + "`"] : [])];
    return {
      text: `${m.title}: ${m.text}`,
      blocks: [
        { type: "section", text: { type: "mrkdwn", text: lines.join("\n") } },
        { type: "context", elements: [{ type: "mrkdwn", text: slackEscape(context) }] },
      ],
    };
  }
  if (format === "teams") {
    return {
      type: "message",
      attachments: [
        {
          contentType: "application/vnd.microsoft.card.adaptive",
          contentUrl: null,
          content: {
            $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
            type: "AdaptiveCard",
            version: "1.4",
            msteams: { width: "Full" },
            body: [
              { type: "TextBlock", text: m.title, weight: "Bolder", size: "Medium", wrap: true },
              { type: "TextBlock", text: m.text, wrap: true },
              ...(m.next ? [{ type: "TextBlock", text: m.next, fontType: "Monospace", wrap: true }] : []),
              {
                type: "FactSet",
                facts: [
                  { title: "Run", value: m.runId },
                  { title: "Playbook", value: m.playbook },
                  { title: "Environment", value: m.environment },
                  { title: "At", value: m.at },
                ],
              },
            ],
          },
        },
      ],
    };
  }
  return { version: 1, ...m };
}

/** The line `status` shows when webhooks failed (notify.failed: retries spent), or undefined when none did. */
export function notificationsLine(s: RunState): string | undefined {
  const n = s.notifications;
  const last = n?.failed.at(-1);
  if (!n || !last) return undefined;
  return (
    `notifications: ${n.failed.length} failed, ${n.sent} sent; last failure ${last.at}: ${last.error.message} ` +
    `(the run is not affected; cutover report ${s.runId} lists them)`
  );
}
