// The naming convention every JSON object Covenant emits follows (docs/api.md): snake_case keys.
// These walkers find the keys that break it, in an OpenAPI document's schemas and in real output.
import { INPUT_ALIASES } from "../../src/api/input-aliases.ts";

export const isSnakeCase = (name: string): boolean => /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(name);

/** True for a key path (`results[0].sample_values[1]`) whose keys below are user data, not ours. */
export type Exempt = (path: string) => boolean;

/** Every key of `value` (recursively) that is not snake_case, as `path.key`. */
export const nonSnakeKeys = (value: unknown, exempt: Exempt = () => false, path = "$"): string[] => {
  if (exempt(path)) return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => nonSnakeKeys(item, exempt, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, inner]) => [
    ...(isSnakeCase(key) ? [] : [`${path}.${key}`]),
    ...nonSnakeKeys(inner, exempt, `${path}.${key}`),
  ]);
};

export type Schema = {
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema | Schema[];
  additionalProperties?: Schema | boolean;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  not?: Schema;
  deprecated?: boolean;
};
type Parameter = { name: string; in: string; deprecated?: boolean; schema?: Schema };
type Operation = {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};
export type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};

/** One property (or parameter) name seen in the document, where, and on which side of the exchange. */
export type NameSite = {
  name: string;
  operation: string;
  side: "request" | "response" | "unreferenced";
  where: string;
  deprecated: boolean;
};

const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options"]);

/** Every property name of every schema, components (through $ref) and inline, per operation and side. */
export const nameSites = (doc: OpenApiDocument): NameSite[] => {
  const sites: NameSite[] = [];
  const components = doc.components?.schemas ?? {};
  const reached = new Set<string>();
  const walk = (schema: Schema | undefined, at: Omit<NameSite, "name" | "deprecated">, seen: Set<string>) => {
    if (!schema || typeof schema !== "object") return;
    if (schema.$ref) {
      const name = schema.$ref.replace("#/components/schemas/", "");
      if (seen.has(name)) return;
      reached.add(name);
      walk(components[name], { ...at, where: `${at.where} -> ${name}` }, new Set([...seen, name]));
      return;
    }
    for (const [name, inner] of Object.entries(schema.properties ?? {})) {
      sites.push({ name, ...at, where: `${at.where}.${name}`, deprecated: inner?.deprecated === true });
      walk(inner, { ...at, where: `${at.where}.${name}` }, seen);
    }
    const items = Array.isArray(schema.items) ? schema.items : schema.items ? [schema.items] : [];
    for (const item of items) walk(item, { ...at, where: `${at.where}[]` }, seen);
    if (typeof schema.additionalProperties === "object") walk(schema.additionalProperties, at, seen);
    for (const list of [schema.allOf, schema.anyOf, schema.oneOf])
      for (const part of list ?? []) walk(part, at, seen);
    if (schema.not) walk(schema.not, at, seen);
  };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const operation = `${method.toUpperCase()} ${path}`;
      for (const p of op.parameters ?? []) {
        sites.push({
          name: p.name,
          operation,
          side: "request",
          where: `${p.in} parameter`,
          deprecated: p.deprecated === true,
        });
        walk(p.schema, { operation, side: "request", where: `${p.in} parameter ${p.name}` }, new Set());
      }
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
        walk(media.schema, { operation, side: "request", where: `request body (${type})` }, new Set());
      for (const [status, response] of Object.entries(op.responses ?? {}))
        for (const [type, media] of Object.entries(response.content ?? {}))
          walk(
            media.schema,
            { operation, side: "response", where: `${status} response (${type})` },
            new Set(),
          );
    }
  }
  for (const [name, schema] of Object.entries(components)) {
    if (!reached.has(name))
      walk(
        schema,
        { operation: "(none)", side: "unreferenced", where: `components.schemas.${name}` },
        new Set(),
      );
  }
  return sites;
};

/**
 * The names that break the convention: not snake_case, unless the name is a documented input alias
 * (src/api/input-aliases.ts), marked deprecated, in a request of an operation that accepts it.
 */
export const namingProblems = (doc: OpenApiDocument): string[] =>
  nameSites(doc)
    .filter((site) => !isSnakeCase(site.name))
    .filter((site) => {
      const alias = INPUT_ALIASES.find((a) => a.alias === site.name);
      const accepted =
        alias !== undefined &&
        site.side === "request" &&
        site.deprecated &&
        (alias.operations as readonly string[]).includes(site.operation);
      return !accepted;
    })
    .map((site) => `${site.operation} ${site.where} (${site.side}): "${site.name}" is not snake_case`);
