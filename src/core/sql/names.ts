import type { Dialect } from "../model/contract-levels.ts";

/**
 * The qualified names a piece of SQL text mentions, found by a tokenizer-level scan rather than
 * a parser: it is used exactly where parsing failed or cannot follow the code (dynamic SQL), to
 * tell which datasets the text may touch. Identifiers inside string literals count too, since
 * `EXECUTE 'ALTER TABLE orders …'` names `orders` in a string. Comments do not count.
 * Unquoted identifiers fold per dialect (Postgres: lower case; the others compare
 * case-insensitively, so they are lowered as well); quoted ones keep their case in Postgres.
 */
export const mentionedNames = (text: string, dialect: Dialect): string[][] => {
  const found = new Map<string, string[]>();
  scan(text, dialect, found, 0);
  return [...found.values()];
};

const TOKEN =
  /(--[^\n]*|#[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|'((?:[^'\\]|''|\\[\s\S])*)'?|"((?:[^"]|"")*)"?|`((?:[^`]|``)*)`?|\$[A-Za-z_]*\$|([A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)|(\.)|\s+|[\s\S]/gy;

const MAX_DEPTH = 2;

const scan = (text: string, dialect: Dialect, found: Map<string, string[]>, depth: number): void => {
  const pg = dialect === "postgres";
  const hashComments = dialect === "mysql" || dialect === "mariadb" || dialect === "bigquery";
  let chain: string[] = [];
  let afterDot = false;
  const flush = () => {
    if (chain.length > 0) {
      const key = chain.join("\u0000");
      if (!found.has(key)) found.set(key, chain);
    }
    chain = [];
    afterDot = false;
  };
  const ident = (name: string) => {
    if (!afterDot) flush();
    chain.push(name);
    afterDot = false;
  };
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m !== null; m = TOKEN.exec(text)) {
    const [token, comment, single, double, backtick, word, dot] = m;
    if (comment !== undefined) {
      if (comment.startsWith("#") && !hashComments) {
        // `#` is an operator outside MySQL and BigQuery: rescan what follows it.
        TOKEN.lastIndex = m.index + 1;
      }
      continue;
    }
    if (word !== undefined) ident(pg ? word.toLowerCase() : word.toLowerCase());
    else if (double !== undefined && (pg || dialect === "sqlite" || dialect === "snowflake"))
      ident(pg ? double.replaceAll('""', '"') : double.replaceAll('""', '"').toLowerCase());
    else if (backtick !== undefined && !pg) ident(backtick.replaceAll("``", "`").toLowerCase());
    else if (dot !== undefined && chain.length > 0) afterDot = true;
    else if (/^\s+$/.test(token)) continue;
    else {
      flush();
      const literal = single ?? double ?? backtick;
      if (literal !== undefined && depth < MAX_DEPTH) {
        const saved = TOKEN.lastIndex;
        scan(literal.replaceAll("''", "'"), dialect, found, depth + 1);
        TOKEN.lastIndex = saved;
      }
    }
  }
  flush();
};

/** Does a name found in the text denote the dataset (`schema.table`, or `table` alone)? */
export const namesDataset = (name: readonly string[], dataset: readonly string[]): boolean => {
  const last = name[name.length - 1];
  if (last === undefined || last !== dataset[dataset.length - 1]) return false;
  if (name.length === 1 || dataset.length === 1) return true;
  return name[name.length - 2] === dataset[dataset.length - 2];
};
