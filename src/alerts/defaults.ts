/**
 * Rules the master uses when it runs without `--alerts`: shown in the UI and the API, delivered
 * nowhere (there are no notifiers until a rules file names some).
 */
import { type AlertConfig, parseAlertConfig } from "./rules.ts";

export const DEFAULT_ALERT_RULES = `
rules:
  - name: machine-offline
    kind: offline
    for: 2m
  - name: filesystem-full
    kind: threshold
    metric: "fs:*:usedPct"
    op: ">="
    value: 90
    for: 5m
    severity: critical
  - name: anomaly
    kind: anomaly
`;

/** The built-in rules (see DEFAULT_ALERT_RULES). */
export function defaultAlertConfig(): AlertConfig {
  return parseAlertConfig(DEFAULT_ALERT_RULES, "built-in rules");
}
