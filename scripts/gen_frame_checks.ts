/**
 * The source of src/protocol/frame_checks.generated.js: validation of the worker's hello and
 * samples frames (the master's ingest hot path), compiled from the zod schemas of
 * src/protocol/messages.ts through their JSON Schema. Per frame type it exports:
 *
 * - `check*`: ajv standalone code for the schema with unknown keys allowed (the fast test);
 * - `exact*`: true when no object of a valid frame holds a key the schema does not name (one
 *   key count per object, emitted here);
 * - `strip*`: ajv code for the schema that deletes unknown keys in place, as zod strips them;
 *   run only for the rare frame `exact*` finds extra keys in.
 *
 * String lengths count UTF-16 units (as zod does); the first error stops a check.
 */
import { Ajv } from "ajv";
import standalone from "ajv/dist/standalone/index.js";
import { z } from "zod";
import { HelloSchema, SamplesSchema } from "../src/protocol/messages.ts";

type JsonSchema = Record<string, unknown>;

function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io: "output",
    unrepresentable: "throw",
  });
  return simplify(rest) as JsonSchema;
}

/**
 * Rewrites `anyOf: [{type: T, ...checks}, {type: "null"}]` (zod's nullable) as
 * `{type: [T, "null"], ...checks}`: the same values pass (number checks ignore null), and ajv
 * compiles it to one type test instead of two branches with error bookkeeping.
 */
function simplify(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(simplify);
  if (node === null || typeof node !== "object") return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) out[key] = simplify(value);
  const anyOf = out.anyOf;
  if (Array.isArray(anyOf) && anyOf.length === 2 && Object.keys(out).length === 1) {
    const [value, nil] = anyOf as JsonSchema[];
    const simple = typeof value.type === "string" && !("anyOf" in value);
    if (simple && Object.keys(nil).length === 1 && nil.type === "null") {
      return { ...value, type: [value.type, "null"] };
    }
  }
  return out;
}

/** The schema without `additionalProperties: false`: unknown keys pass. */
function allowingExtras(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(allowingExtras);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node).filter(([key]) => key !== "additionalProperties").map((
      [key, value],
    ) => [key, allowingExtras(value)]),
  );
}

/**
 * Emits `exact<name>(data)` for a valid frame: counts each object's keys and the schema's keys
 * it holds, recursing into objects and lists of objects.
 */
function exactSource(name: string, schema: JsonSchema): string {
  const functions: string[] = [];
  const emit = (node: JsonSchema): string => {
    const fn = `${name}${functions.length}`;
    functions.push("");
    const lines = [`function ${fn}(o){let n=0;for(const _ in o)n++;let m=0;let v;`];
    const properties = (node.properties ?? {}) as Record<string, JsonSchema>;
    for (const [key, child] of Object.entries(properties)) {
      const inner = innerCheck(child, emit);
      lines.push(`v=o[${JSON.stringify(key)}];if(v!==undefined){m++;${inner}}`);
    }
    lines.push("return n===m;}");
    functions[Number(fn.slice(name.length))] = lines.join("");
    return fn;
  };
  const root = emit(schema);
  return `${functions.join("")}export function ${name}(data){return ${root}(data);}`;
}

/** The check of one property value inside an `exact*` function ("" when it holds no keys). */
function innerCheck(node: JsonSchema, emit: (node: JsonSchema) => string): string {
  if (node.type === "object") return `if(!${emit(node)}(v))return false;`;
  const items = node.items as JsonSchema | undefined;
  if (node.type === "array" && items?.type === "object") {
    return `for(let i=0;i<v.length;i++)if(!${emit(items)}(v[i]))return false;`;
  }
  return "";
}

function ajvSource(schemas: Record<string, JsonSchema>, removeAdditional: boolean): string {
  const ajv = new Ajv({
    code: { source: true, esm: true, optimize: true },
    removeAdditional: removeAdditional ? "all" : false,
    unicode: false,
    allErrors: false,
    strict: true,
    allowUnionTypes: true,
    logger: false,
  });
  const names: Record<string, string> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    ajv.addSchema(schema, name);
    names[name] = name;
  }
  // A CommonJS module whose exports also carry `default`: the one spelling types and runtime share.
  const code = standalone.default(ajv, names);
  if (code.includes("require(")) throw new Error("the generated checks need ajv at run time");
  return code;
}

/** The text of frame_checks.generated.js. */
export function frameChecksSource(): string {
  const hello = jsonSchemaOf(HelloSchema);
  const samples = jsonSchemaOf(SamplesSchema);
  const check = ajvSource({
    checkHello: allowingExtras(hello) as JsonSchema,
    checkSamples: allowingExtras(samples) as JsonSchema,
  }, false);
  // Both ajv modules name their functions validate10, validate11 ...: keep the second apart.
  const strip = ajvSource({ stripHello: hello, stripSamples: samples }, true)
    .replace(/\bvalidate(\d+)\b/g, "stripValidate$1").replace(/\bschema(\d+)\b/g, "stripSchema$1")
    .replace(/\bfunc(\d+)\b/g, "stripFunc$1").replace(/^"use strict";/, "");
  return [
    "// Generated by scripts/gen_frame_checks.ts (deno task gen) from src/protocol/messages.ts.",
    "// Do not edit.",
    '// @ts-self-types="./frame_checks.generated.d.ts"',
    check,
    strip,
    exactSource("exactHello", hello),
    exactSource("exactSamples", samples),
    "",
  ].join("\n");
}
