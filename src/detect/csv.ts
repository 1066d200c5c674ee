/**
 * A small RFC 4180 CSV reader and writer: comma separator, fields optionally in double quotes
 * (a quote inside written twice), quoted fields may hold commas and line breaks, lines end in
 * LF or CRLF. Each record remembers the line it starts on, for error messages.
 */

/** One record and the 1-based line of the file it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** Splits CSV text into records. Throws SyntaxError (with the line) on a broken quote. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // skip a byte-order mark
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = "";
      if (text[i] === '"') {
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= n) throw new SyntaxError(`line ${quoteLine}: quoted field never closed`);
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === "\n") line++;
          field += c;
          i++;
        }
        if (i < n && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") {
          throw new SyntaxError(`line ${line}: unexpected text after a closing quote`);
        }
      } else {
        let j = i;
        while (j < n && text[j] !== "," && text[j] !== "\n" && text[j] !== "\r") j++;
        field = text.slice(i, j);
        if (field.includes('"')) {
          throw new SyntaxError(`line ${line}: quote inside an unquoted field`);
        }
        i = j;
      }
      fields.push(field);
      if (text[i] === ",") {
        i++;
        continue;
      }
      break;
    }
    if (text[i] === "\r") i++;
    if (text[i] === "\n") i++;
    line++;
    // A blank line is no record (a lone empty field from an empty line).
    if (!(fields.length === 1 && fields[0] === "")) records.push({ line: start, fields });
  }
  return records;
}

/** Formats one field, quoting it when it holds a comma, a quote or a line break. */
export function formatCsvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Formats one record as a CSV line (with its newline). */
export function formatCsvRecord(fields: readonly string[]): string {
  return fields.map(formatCsvField).join(",") + "\n";
}
