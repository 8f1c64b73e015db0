/**
 * Warehouse SQL rewritten into forms the parsers read, each with the same column references, for
 * models whose SQL no parser reads as written (Snowflake's above all):
 * - `col:path.to[0]::string` (a VARIANT path: Snowflake, Databricks) reads `col`;
 * - `agg(x, ',') within group (order by y)` becomes `agg(x, ',' order by y)`;
 * - `ignore nulls` / `respect nulls` in window functions go (they choose rows, not columns);
 * - a trailing comma before `from` goes;
 * - casts to `array` (a Postgres keyword) cast to `text` (the shape stays a cast).
 * String literals and quoted identifiers are left alone; comments become blanks.
 */
const VARIANT_PATHS = new Set(["snowflake", "databricks", "spark"]);

export const portableSql = (sql: string, dialect: string | undefined): string => {
  const held: string[] = [];
  const hold = (text: string) => {
    held.push(text);
    return `\u0001${held.length - 1}\u0001`;
  };
  let code = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\//g, (match) =>
    match.startsWith("--") || match.startsWith("/*") ? match.replace(/[^\n]/g, " ") : hold(match),
  );
  const name = "(?:[A-Za-z_][\\w$]*|\\u0001\\d+\\u0001)";
  // Elsewhere `a[x:y]` is an array slice, whose bounds are columns read.
  if (dialect === undefined || VARIANT_PATHS.has(dialect))
    code = code.replace(
      new RegExp(`(?<=[\\w$\\u0001)\\]])\\s*:(?!:)\\s*${name}(?:\\s*(?:\\.\\s*${name}|\\[[^\\]]*\\]))*`, "g"),
      "",
    );
  code = code
    .replace(/\)\s*within\s+group\s*\(\s*(order\s+by\b[^()]*(?:\([^()]*\)[^()]*)*)\)/gi, " $1)")
    .replace(/\b(?:ignore|respect)\s+nulls\b/gi, "")
    .replace(/,(\s*)\bfrom\b/gi, "$1from")
    .replace(/::\s*array\b/gi, "::text")
    .replace(/\bas\s+array\s*\)/gi, "as text)");
  return code.replace(/\u0001(\d+)\u0001/g, (_, i: string) => held[Number(i)]!);
};
