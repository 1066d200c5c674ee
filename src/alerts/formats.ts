/**
 * Each notifier's own message format. Pure: an alert notice in, an HTTP request description out.
 */
import type { AlertNotice } from "./engine.ts";
import type { HttpNotifierConfig } from "./rules.ts";

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const COLORS = {
  firing: { info: 0x3b82f6, warning: 0xf59e0b, critical: 0xdc2626 },
  resolved: 0x16a34a,
};

/** The notice no longer describes something going on now. */
function ended(notice: AlertNotice): boolean {
  return notice.transition === "resolved" || notice.transition === "found-late";
}

function title(notice: AlertNotice): string {
  const { alert, transition } = notice;
  const state = transition === "resolved"
    ? "RESOLVED"
    : transition === "found-late"
    ? `FOUND LATE, ${alert.severity.toUpperCase()}`
    : alert.severity.toUpperCase();
  return `[${state}] ${alert.rule} on ${alert.machineName}`;
}

function color(notice: AlertNotice): number {
  return notice.transition === "resolved" ? COLORS.resolved : COLORS.firing[notice.alert.severity];
}

/** The generic JSON webhook body: stable field names, versioned. */
export function webhookPayload(notice: AlertNotice) {
  const { alert, transition } = notice;
  return {
    version: 1,
    status: ended(notice) ? "resolved" : "firing",
    transition,
    rule: alert.rule,
    kind: alert.kind,
    severity: alert.severity,
    machine: { id: alert.machineId, name: alert.machineName },
    device: alert.device,
    metric: alert.metric,
    value: alert.value,
    op: alert.op,
    threshold: alert.threshold,
    since: alert.since,
    firedAt: alert.firedAt,
    resolvedAt: alert.resolvedAt,
    closeReason: alert.closeReason,
    foundLate: alert.foundLate,
    detectedAt: alert.detectedAt,
    cause: alert.cause,
    message: alert.message,
  };
}

/** Builds the request for one notifier. */
export function formatRequest(notifier: HttpNotifierConfig, notice: AlertNotice): OutgoingRequest {
  const json = { "content-type": "application/json" };
  switch (notifier.type) {
    case "webhook":
      return {
        url: notifier.url,
        headers: { ...json, ...notifier.headers },
        body: JSON.stringify(webhookPayload(notice)),
      };
    case "slack":
      return {
        url: notifier.url,
        headers: json,
        body: JSON.stringify({
          text: `${title(notice)}: ${notice.alert.message}`,
          attachments: [{
            color: `#${color(notice).toString(16).padStart(6, "0")}`,
            title: title(notice),
            text: notice.alert.message,
            ts: Math.floor(
              (notice.alert.resolvedAt ?? notice.alert.firedAt ?? notice.alert.since) / 1000,
            ),
          }],
        }),
      };
    case "discord":
      return {
        url: notifier.url,
        headers: json,
        body: JSON.stringify({
          content: title(notice),
          embeds: [{
            title: title(notice),
            description: notice.alert.message,
            color: color(notice),
            timestamp: new Date(
              notice.alert.resolvedAt ?? notice.alert.firedAt ?? notice.alert.since,
            ).toISOString(),
          }],
          allowed_mentions: { parse: [] },
        }),
      };
    case "ntfy": {
      // JSON publishing: POST to the server root with the topic in the body.
      const url = new URL(notifier.url);
      const topic = notifier.topic ?? url.pathname.replace(/^\/+|\/+$/g, "");
      const priority = ended(notice)
        ? 3
        : { info: 3, warning: 4, critical: 5 }[notice.alert.severity];
      return {
        url: `${url.origin}/`,
        headers: json,
        body: JSON.stringify({
          topic,
          title: title(notice),
          message: notice.alert.message,
          priority,
          tags: [notice.transition === "resolved" ? "white_check_mark" : "warning", "gridmon"],
        }),
      };
    }
  }
}
