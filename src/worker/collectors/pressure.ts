/** Pressure stall information (PSI) from /proc/pressure/{cpu,memory,io}. */
import type { PressureMetrics } from "../../protocol/sample.ts";
import type { Collector, SampleMetrics } from "./collector.ts";
import { readProcFile } from "./proc_file.ts";

type PressureLine = NonNullable<PressureMetrics["cpu"]>;

const LINE = /^(some|full) avg10=(\d+\.\d+) avg60=(\d+\.\d+) avg300=(\d+\.\d+) total=\d+$/;

/** Parses one PSI file ("some ..." and, since 5.13 for cpu, "full ..."). */
export function parsePressure(text: string, resource: string): PressureLine {
  const values: Partial<PressureLine> = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const match = LINE.exec(line.trim());
    if (match === null) {
      throw new RangeError(
        `Cannot parse /proc/pressure/${resource}: "${line.trim().slice(0, 80)}"`,
      );
    }
    const [, kind, a10, a60, a300] = match;
    const clamp = (s: string) => Math.min(100, Number(s));
    if (kind === "some") {
      Object.assign(values, { some10: clamp(a10), some60: clamp(a60), some300: clamp(a300) });
    } else {
      Object.assign(values, { full10: clamp(a10), full60: clamp(a60), full300: clamp(a300) });
    }
  }
  if (values.some10 === undefined) {
    throw new TypeError(`Cannot parse /proc/pressure/${resource}: no "some" line`);
  }
  return values as PressureLine;
}

const RESOURCES = ["cpu", "memory", "io"] as const;

/**
 * Reads the three PSI files. A kernel without PSI has no /proc/pressure: then `pressure` is
 * absent. A file that exists but cannot be read (psi=0 on the command line) is an error.
 */
export function createPressureCollector(procRoot: string): Collector {
  return {
    name: "pressure",
    collect(): SampleMetrics {
      const pressure: PressureMetrics = {};
      let found = false;
      for (const resource of RESOURCES) {
        let text: string;
        try {
          text = readProcFile(`${procRoot}/pressure/${resource}`);
        } catch (error) {
          if (error instanceof Deno.errors.NotFound) continue;
          throw error;
        }
        pressure[resource] = parsePressure(text, resource);
        found = true;
      }
      return found ? { pressure } : {};
    },
  };
}
