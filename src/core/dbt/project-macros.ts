import { parse as parseYaml } from "yaml";
import { CovenantError } from "../errors.ts";
import { repositoryYamlProblem } from "../model/bounded-yaml.ts";

/** A project's `{% macro name(…) %}…{% endmacro %}` definitions, by name, from its macro files. */
export const readMacroDefinitions = (files: Iterable<readonly [string, string]>): Map<string, string> => {
  const definitions = new Map<string, string>();
  for (const [, text] of files)
    for (const match of text.matchAll(/\{%-?\s*macro\s+(\w+)\s*\([\s\S]*?\{%-?\s*endmacro\s*-?%\}/g))
      if (!definitions.has(match[1]!)) definitions.set(match[1]!, match[0]);
  return definitions;
};

const CALLED = /\b([A-Za-z_]\w*)\b/g;

/**
 * The definitions a model may call, directly or through other macros (a name written anywhere,
 * `adapter.dispatch('x')` included, brings `x` and its `<adapter>__x` implementations), joined
 * in one text; undefined when it calls none. Only these travel with the model.
 */
export const macrosCalledBy = (sql: string, definitions: ReadonlyMap<string, string>): string | undefined => {
  if (definitions.size === 0) return undefined;
  const byBase = new Map<string, string[]>();
  for (const name of definitions.keys()) {
    const base = /__(\w+)$/.exec(name)?.[1];
    if (base) byBase.set(base, [...(byBase.get(base) ?? []), name]);
  }
  const taken = new Set<string>();
  const queue = [sql];
  while (queue.length > 0) {
    for (const match of queue.pop()!.matchAll(CALLED)) {
      for (const name of [match[1]!, ...(byBase.get(match[1]!) ?? [])]) {
        if (taken.has(name) || !definitions.has(name)) continue;
        taken.add(name);
        queue.push(definitions.get(name)!);
      }
    }
  }
  return taken.size > 0 ? [...taken].map((name) => definitions.get(name)!).join("\n") : undefined;
};

/**
 * The values `var()` reads from dbt_project.yml: global entries, and those scoped to the project
 * itself (`vars: { <project>: { … } }`). Values that are Jinja are left out (dbt renders them).
 */
export const projectVars = (
  vars: Readonly<Record<string, unknown>>,
  projectName: string | undefined,
): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  const keep = (entries: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(entries))
      if (!(typeof value === "string" && /\{[{%]/.test(value))) out[key] = value;
  };
  keep(vars);
  const scoped = projectName ? vars[projectName] : undefined;
  if (typeof scoped === "object" && scoped !== null && !Array.isArray(scoped)) {
    delete out[projectName!];
    keep(scoped as Record<string, unknown>);
  }
  return out;
};

/**
 * `--vars` as `dbt run --vars` takes it: a YAML (or JSON) mapping, `'{start_date: 2024-01-01}'`.
 * Anything else is an input error saying what was given.
 */
export const parseVarsOption = (text: string): Record<string, unknown> => {
  const problem = repositoryYamlProblem(text);
  let value: unknown;
  try {
    if (problem) throw new Error(problem.message);
    value = parseYaml(text);
  } catch (error) {
    throw new CovenantError(
      "invalid_input",
      `--vars does not parse as YAML or JSON: ${(error as Error).message.split("\n")[0]}`,
      [{ message: `write a mapping, as dbt takes it: --vars '{"start_date": "2024-01-01"}'` }],
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new CovenantError(
      "invalid_input",
      `--vars must be a mapping of names to values, not ${Array.isArray(value) ? "a list" : JSON.stringify(value)}`,
      [{ message: `write a mapping, as dbt takes it: --vars '{"start_date": "2024-01-01"}'` }],
    );
  return value as Record<string, unknown>;
};
