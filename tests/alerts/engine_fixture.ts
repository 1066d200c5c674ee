/** An AlertEngine on a rules file's text, collecting every notice it gives. */
import { AlertEngine, type AlertNotice } from "../../src/alerts/engine.ts";
import { parseAlertConfig } from "../../src/alerts/rules.ts";

export function engineFor(
  yaml: string,
  extra: Partial<ConstructorParameters<typeof AlertEngine>[0]> = {},
) {
  const config = parseAlertConfig(yaml);
  const notices: AlertNotice[] = [];
  const engine = new AlertEngine({
    rules: config.rules,
    silences: config.silences,
    notify: (n) => notices.push(n),
    ...extra,
  });
  /** The notices that go out to notifiers. */
  const delivered = () => notices.filter((n) => n.deliver);
  return { engine, notices, delivered };
}
