/**
 * The e-mail notifier: its settings in the rules file, the message (plain text and HTML, the
 * cause in words, a link to the machine page), and sending over SMTP with nodemailer (STARTTLS or
 * implicit TLS, login, several recipients). nodemailer loads only when an e-mail goes out.
 */
import { z } from "zod";
import { formatMoment } from "./alert_text.ts";
import type { AlertNotice } from "./alert_types.ts";

export type EmailSecurity = "starttls" | "tls" | "none";

export interface EmailNotifierConfig {
  name: string;
  type: "email";
  host: string;
  port: number;
  /** starttls: upgrade a plain connection (required); tls: TLS from the start; none: plain. */
  security: EmailSecurity;
  username?: string;
  password?: string;
  from: string;
  to: string[];
  /** Base URL of the dashboard for links; the master's own address when absent. */
  dashboardUrl?: string;
  /** PEM certificate(s) to trust besides the system's (a server with a private CA). */
  ca?: string;
}

const DEFAULT_PORTS: Record<EmailSecurity, number> = { starttls: 587, tls: 465, none: 25 };

const address = z.string().min(3).max(320).regex(/@/, "not an e-mail address");

/** The `type: email` notifier as written in the rules file. */
export const EmailNotifierSchema = z.strictObject({
  type: z.literal("email"),
  host: z.string().min(1).max(253),
  port: z.int().min(1).max(65535).optional(),
  security: z.enum(["starttls", "tls", "none"]).optional(),
  username: z.string().min(1).max(320).optional(),
  password: z.string().min(1).max(1024).optional(),
  /** The name of a GRIDMON_* environment variable holding the password. */
  password_env: z.string().regex(/^GRIDMON_[A-Z0-9_]+$/, "use a GRIDMON_* variable").optional(),
  from: z.string().min(3).max(400),
  to: z.union([address, z.array(address).min(1).max(50)]),
  dashboard_url: z.url({ protocol: /^https?$/ }).optional(),
  ca: z.string().includes("-----BEGIN CERTIFICATE-----").max(100_000).optional(),
});

/**
 * The notifier's settings from its parsed YAML. `fail(field, detail)` reports a bad combination;
 * `env` resolves `password_env`.
 */
export function emailNotifierConfig(
  name: string,
  raw: z.infer<typeof EmailNotifierSchema>,
  env: (name: string) => string | undefined,
  fail: (field: string, detail: string) => never,
): EmailNotifierConfig {
  const security = raw.security ?? "starttls";
  if (raw.password !== undefined && raw.password_env !== undefined) {
    fail("password_env", "give password or password_env, not both");
  }
  const password = raw.password_env === undefined ? raw.password : env(raw.password_env);
  if (raw.password_env !== undefined && !password) {
    fail("password_env", `${raw.password_env} is not set in the master's environment`);
  }
  if ((raw.username === undefined) !== (password === undefined)) {
    fail(
      raw.username === undefined ? "username" : "password",
      "give username and password together",
    );
  }
  if (security === "none" && raw.username !== undefined) {
    fail("security", "a password must not travel in clear: use starttls or tls");
  }
  return {
    name,
    type: "email",
    host: raw.host,
    port: raw.port ?? DEFAULT_PORTS[security],
    security,
    username: raw.username,
    password,
    from: raw.from,
    to: typeof raw.to === "string" ? [raw.to] : raw.to,
    dashboardUrl: raw.dashboard_url?.replace(/\/+$/, ""),
    ca: raw.ca,
  };
}

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text as HTML text: machine names come from workers. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function headline(notice: AlertNotice): string {
  const { alert, transition } = notice;
  const state = transition === "resolved"
    ? "Resolved"
    : transition === "found-late"
    ? "Found late"
    : transition === "repeat"
    ? `Still ${alert.severity}`
    : alert.severity[0].toUpperCase() + alert.severity.slice(1);
  return `[gridmon] ${state}: ${alert.rule} on ${alert.machineName}`;
}

/** The e-mail for a notice: subject, plain text, and the same as simple HTML. */
export function emailMessage(notice: AlertNotice, dashboardUrl: string): EmailMessage {
  const { alert } = notice;
  const base = dashboardUrl.replace(/\/+$/, "");
  const machineLink = `${base}/#/machine/${encodeURIComponent(alert.machineId)}`;
  const alertsLink = `${base}/#/alerts?machine=${encodeURIComponent(alert.machineId)}`;
  const rows: [string, string][] = [
    ["Machine", alert.machineName],
    ["Rule", `${alert.rule} (${alert.kind}, ${alert.severity})`],
  ];
  if (alert.cause) rows.push(["Cause", alert.cause]);
  rows.push(["Since", formatMoment(alert.firedAt ?? alert.since)]);
  if (alert.resolvedAt !== null) {
    rows.push(["Ended", `${formatMoment(alert.resolvedAt)} (${alert.closeReason ?? "recovered"})`]);
  }
  if (alert.foundLate && alert.detectedAt !== null) {
    rows.push(["Found", `${formatMoment(alert.detectedAt)}, in data that arrived late`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const text = [
    alert.message,
    "",
    ...rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`),
    "",
    `Machine page: ${machineLink}`,
    `Alerts:       ${alertsLink}`,
    "",
    "-- ",
    "gridmon",
    "",
  ].join("\n");
  const cell = "padding:2px 12px 2px 0;vertical-align:top";
  const html = `<!doctype html>
<html><body style="font-family:sans-serif;font-size:14px;color:#111">
<p style="font-size:16px;font-weight:600">${escapeHtml(alert.message)}</p>
<table style="border-collapse:collapse">
${
    rows.map(([k, v]) =>
      `<tr><td style="${cell};color:#555">${escapeHtml(k)}</td><td style="${cell}">${
        escapeHtml(v)
      }</td></tr>`
    ).join("\n")
  }
</table>
<p><a href="${escapeHtml(machineLink)}">Open the machine page</a> ·
<a href="${escapeHtml(alertsLink)}">its alerts</a></p>
<p style="color:#777;font-size:12px">gridmon</p>
</body></html>
`;
  return { subject: headline(notice), text, html };
}

/** What one attempt gave: `permanent` failures (5xx answers, refused login) are not retried. */
export interface SendResult {
  error: string | null;
  status: number | null;
  permanent: boolean;
}

/** The part of nodemailer gridmon uses. */
interface Transporter {
  sendMail(message: {
    from: string;
    to: string[];
    subject: string;
    text: string;
    html: string;
  }): Promise<unknown>;
  close(): void;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
}

/** Sends notices to one e-mail notifier; the SMTP connection is made for each message. */
export function createEmailSender(
  config: EmailNotifierConfig,
  options: { dashboardUrl: () => string; timeoutMs: number },
): { send(notice: AlertNotice): Promise<SendResult>; close(): void } {
  let transporter: Promise<Transporter> | undefined;
  const open = async (): Promise<Transporter> => {
    const { default: nodemailer } = await import("nodemailer");
    return nodemailer.createTransport({
      host: config.host,
      port: config.port,
      secure: config.security === "tls",
      requireTLS: config.security === "starttls",
      ignoreTLS: config.security === "none",
      auth: config.username ? { user: config.username, pass: config.password } : undefined,
      tls: config.ca ? { ca: [config.ca] } : undefined,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
    }) as Transporter;
  };
  return {
    async send(notice) {
      const message = emailMessage(notice, config.dashboardUrl ?? options.dashboardUrl());
      try {
        transporter ??= open();
        await (await transporter).sendMail({ from: config.from, to: config.to, ...message });
        return { error: null, status: 250, permanent: false };
      } catch (error) {
        const e = error as SmtpError;
        const code = e.responseCode ?? null;
        const what = e.code === "EAUTH" ? "login refused" : (e.code ?? "failed");
        const detail = (e.message ?? String(error)).split("\n")[0];
        return {
          error: `SMTP ${config.host}:${config.port}: ${what}: ${detail}`,
          status: code,
          permanent: e.code === "EAUTH" || (code !== null && code >= 500),
        };
      }
    },
    close() {
      transporter?.then((t) => t.close(), () => {});
    },
  };
}
