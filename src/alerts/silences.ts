import type { SilenceConfig } from "./rules.ts";

/** True when `silence` covers `rule` for the machine (name or id) at time `now`. */
export function silenceCovers(
  silence: SilenceConfig,
  rule: string,
  machine: { id: string; name: string },
  now: number,
): boolean {
  if (silence.rule !== "*" && silence.rule !== rule) return false;
  if (
    silence.machines && !silence.machines.test(machine.name) && !silence.machines.test(machine.id)
  ) {
    return false;
  }
  if (silence.from !== null && now < silence.from) return false;
  if (silence.until !== null && now >= silence.until) return false;
  if (silence.daily) {
    const date = new Date(now);
    const minute = date.getUTCHours() * 60 + date.getUTCMinutes();
    const { start, end } = silence.daily;
    const inside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
    if (!inside) return false;
  }
  return true;
}
