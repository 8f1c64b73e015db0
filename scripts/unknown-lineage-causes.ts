// The causes of unknown column lineage, for measure:lineage: each model of unknown lineage is
// counted under one cause read from its reason (and, for a parse failure, its SQL).
import type { Lineage } from "../src/core/lineage/build-lineage.ts";
import type { DbtNode } from "../src/core/lineage/dbt-graph.ts";

const JINJA_LOGIC = /\{%-?\s*\w|\{\{-?\s*(?!(?:ref|source|config|var|env_var|this)\b)[\w.]+/;

export const unknownCause = (reason: string, sql: string): string => {
  if (/not a SELECT statement|no statement|empty/i.test(reason)) return "not a query (no SELECT)";
  if (/unterminated Jinja/.test(reason)) return "unterminated Jinja";
  const macro = /the macro ([\w.]+)\(\) is not known/.exec(reason)?.[1];
  if (macro)
    return macro.includes(".")
      ? "package macro Covenant does not expand"
      : "project macro not found / needs the warehouse";
  if (/the macro [\w.]+\(\) uses/.test(reason))
    return "project macro with a construct Covenant does not read ({% call statement %} …)";
  if (/the columns of .* are not known/.test(reason))
    return "upstream columns not known (star, union_relations)";
  if (/var\('.*'\) has no value|env_var/.test(reason)) return "var() without a value";
  if (
    /its Jinja cannot be evaluated: (graph|model|target|flags|run_query|statement|load_result|adapter)\b/.test(
      reason,
    )
  )
    return "dbt context (graph, model, target, flags, run_query)";
  if (/its Jinja cannot be evaluated/.test(reason)) return "Jinja Covenant does not read";
  if (/once its macros are expanded/.test(reason)) return "SQL syntax after macro expansion";
  if (/does not parse after Jinja is rendered/.test(reason))
    return JINJA_LOGIC.test(sql)
      ? "macro-bodied model (Jinja not expanded)"
      : "SQL syntax the parser does not read";
  return "other";
};

/** Counts the models of unknown lineage by cause (adds into `into`). */
export const countUnknownCauses = (
  lineage: Lineage,
  dbt: readonly DbtNode[],
  into: Map<string, number> = new Map(),
): Map<string, number> => {
  const sqlOf = new Map(dbt.map((n) => [n.id, n.sql ?? ""]));
  for (const node of lineage.nodes.values()) {
    if (node.lineage !== "unknown") continue;
    const cause = unknownCause(node.reason ?? "", sqlOf.get(node.id) ?? "");
    into.set(cause, (into.get(cause) ?? 0) + 1);
  }
  return into;
};

export const formatUnknownCauses = (causes: ReadonlyMap<string, number>): string => {
  const total = [...causes.values()].reduce((a, b) => a + b, 0);
  const rows = [...causes]
    .sort((a, b) => b[1] - a[1])
    .map(([cause, n]) => `  ${String(n).padStart(5)}  ${cause}\n`);
  return `unknown lineage: ${total} models, by cause\n${rows.join("")}`;
};
