/** /etc/os-release (freedesktop format). */

/** Parses KEY=value lines, unquoting "..." and '...' values and their backslash escapes. */
export function parseOsRelease(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match === null) continue; // the format says to ignore lines it does not describe
    let value = match[2];
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\`$])/g, "$1");
    }
    fields.set(match[1], value);
  }
  return fields;
}

/** PRETTY_NAME, else NAME plus VERSION, else undefined. */
export function osName(fields: Map<string, string>): string | undefined {
  const pretty = fields.get("PRETTY_NAME");
  if (pretty) return pretty;
  const name = fields.get("NAME");
  if (!name) return undefined;
  const version = fields.get("VERSION");
  return version ? `${name} ${version}` : name;
}
