import type { z } from "@hono/zod-openapi";
import { invalidInput } from "./errors.ts";

// Every JSON field Covenant emits is snake_case. Teams moving from the systems Covenant replaces
// send those systems' camelCase names; the few that name the same thing are accepted on input,
// documented as deprecated aliases, and never written back. This table is the only list: the
// OpenAPI document, docs/api.md and the naming test all read it.

export type InputAlias = {
  /** The name a client may send. */
  alias: string;
  /** The snake_case field it stands for. */
  name: string;
  in: "body" | "query";
  /** `METHOD /path` of each operation that accepts it. */
  operations: readonly string[];
  /** Where the name comes from. */
  origin: string;
};

export const INPUT_ALIASES = [
  {
    alias: "enforcementLevel",
    name: "enforcement",
    in: "body",
    operations: ["POST /api/v1/contracts", "PUT /api/v1/contracts/{id}"],
    origin: "Gable's contract spec",
  },
  {
    alias: "createdBefore",
    name: "created_before",
    in: "query",
    operations: ["GET /api/v1/contracts/{id}/versions"],
    origin: "Covenant 0.1, before snake_case",
  },
  {
    alias: "gitRepo",
    name: "repo",
    in: "query",
    operations: ["GET /api/v1/violations", "GET /api/v1/contracts/{id}/violations"],
    origin: "Gable's violation records",
  },
  {
    alias: "prNumber",
    name: "pr",
    in: "query",
    operations: ["GET /api/v1/violations", "GET /api/v1/contracts/{id}/violations"],
    origin: "Gable's violation records",
  },
] as const satisfies readonly InputAlias[];

type AliasName = (typeof INPUT_ALIASES)[number]["alias"];

const aliasNamed = (alias: AliasName): InputAlias => {
  const found = INPUT_ALIASES.find((a) => a.alias === alias);
  if (!found) throw new Error(`unknown input alias ${alias}`);
  return found;
};

/** The OpenAPI property (or query parameter) of an alias: optional, deprecated, naming its field. */
export const aliasOf = <T extends z.ZodType>(schema: T, alias: AliasName) => {
  const { name, origin } = aliasNamed(alias);
  const description = `Deprecated alias of \`${name}\` (${origin}), accepted on input only: answers say \`${name}\`.`;
  return schema
    .optional()
    .openapi(
      aliasNamed(alias).in === "query"
        ? { deprecated: true, description, param: { deprecated: true } }
        : { deprecated: true, description },
    );
};

/**
 * Moves an alias's value to its field (the alias key is gone from the result). Both given with
 * different values is a 400 naming both (silently preferring one would hide a client bug).
 */
export const takeAlias = <T extends Record<string, unknown>, A extends AliasName & keyof T>(
  input: T,
  alias: A,
): T => {
  const { name } = aliasNamed(alias);
  const { [alias]: value, ...rest } = input;
  if (value === undefined) return rest as T;
  const given = (rest as Record<string, unknown>)[name];
  if (given !== undefined && JSON.stringify(given) !== JSON.stringify(value)) {
    throw invalidInput(
      `\`${alias}\` is an alias of \`${name}\`, and the two differ: send only \`${name}\`.`,
      [{ path: alias, message: `alias of ${name}; remove it or make it equal to ${name}` }],
    );
  }
  return { ...rest, [name]: value } as T;
};
