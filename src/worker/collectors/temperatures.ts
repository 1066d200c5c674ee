/** Temperatures from the hwmon sensors under /sys/class/hwmon (temp<N>_input, temp<N>_label). */
import type { TempMetrics } from "../../protocol/sample.ts";
import type { Collector, SampleMetrics } from "./collector.ts";

/** Parses a temp*_input file: millidegrees Celsius. */
export function parseMillidegrees(text: string, path: string): number {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) {
    throw new RangeError(`Cannot parse ${path}: "${trimmed.slice(0, 40)}" is not millidegrees`);
  }
  return Number(trimmed) / 1000;
}

async function readTrimmed(path: string): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch {
    return undefined;
  }
}

function byNumber(prefix: string) {
  return (a: string, b: string) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length));
}

/** Every readable sensor under one hwmon directory, in temp-number order. */
export async function readHwmon(dir: string): Promise<TempMetrics[]> {
  const sensor = (await readTrimmed(`${dir}/name`)) ?? (await readTrimmed(`${dir}/device/name`)) ??
    dir.slice(dir.lastIndexOf("/") + 1);
  const inputs: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = /^(temp\d+)_input$/.exec(entry.name);
    if (match) inputs.push(match[1]);
  }
  inputs.sort(byNumber("temp"));
  const temps: TempMetrics[] = [];
  for (const temp of inputs) {
    const text = await readTrimmed(`${dir}/${temp}_input`);
    if (text === undefined) continue; // some sensors answer EIO/ENODATA while idle
    const celsius = parseMillidegrees(text, `${dir}/${temp}_input`);
    if (celsius < -273.15 || celsius > 1000) continue; // a sensor reporting garbage
    const label = (await readTrimmed(`${dir}/${temp}_label`)) || temp;
    temps.push({ sensor, label, celsius });
  }
  return temps;
}

/** Reads every `${sysRoot}/class/hwmon/hwmonN`; `temps` is absent when there is no sensor. */
export function createTemperatureCollector(sysRoot: string): Collector {
  return {
    name: "temperatures",
    async collect(): Promise<SampleMetrics> {
      const root = `${sysRoot}/class/hwmon`;
      const names: string[] = [];
      try {
        for await (const entry of Deno.readDir(root)) {
          if (/^hwmon\d+$/.test(entry.name)) names.push(entry.name);
        }
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return {};
        throw error;
      }
      names.sort(byNumber("hwmon"));
      const temps: TempMetrics[] = [];
      for (const name of names) temps.push(...(await readHwmon(`${root}/${name}`)));
      return temps.length > 0 ? { temps } : {};
    },
  };
}
