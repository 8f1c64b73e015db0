import type { Dialect } from "../model/contract-levels.ts";
import type { Finding } from "../model/finding.ts";

/** One SQL statement of a file, without its terminating delimiter; `line`/`endLine` are 1-based. */
export type Statement = { sql: string; file: string; line: number; endLine: number };

const NL = 10;
const SPACE = 32;
const DQ = 34; // "
const DOLLAR = 36;
const SQ = 39; // '
const STAR = 42;
const DASH = 45;
const DOT = 46;
const SLASH = 47;
const SEMI = 59;
const BANG = 33;
const HASH = 35;
const BACKSLASH = 92;
const BACKTICK = 96;
const LBRACKET = 91;
const RBRACKET = 93;

const isIdentChar = (c: number): boolean =>
  (c >= 48 && c <= 57) ||
  (c >= 65 && c <= 90) ||
  (c >= 97 && c <= 122) ||
  c === 95 ||
  c === DOLLAR ||
  c > 127;
const isWordStart = (c: number): boolean =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
const isSpace = (c: number): boolean => c === SPACE || (c >= 9 && c <= 13);

const COPY_FROM_STDIN = /^COPY\b[\s\S]*\bFROM\s+STDIN\b/i;
const DELIMITER_LINE = /^delimiter[ \t]+(\S+)/i;
/**
 * Characters a Postgres statement's code runs through without changing how it splits: all but a
 * newline (lines are counted), quotes, `$` (dollar quotes), `;`, `\\` (psql meta-commands), `-`
 * and `/` (comments). Spaces, tabs and the rest mark nothing but code, which the run's first
 * character already did.
 */
const PG_PLAIN_RUN = /[^\n'"$;\\\-/]+/y;

/**
 * Splits a migration file into statements the way the dialect's own client would: quotes,
 * comments, dollar quotes, client meta-commands (psql `\x`, sqlite `.x`, mysql `DELIMITER`),
 * `COPY … FROM stdin` data and trigger bodies. Never throws: an unterminated quote or comment
 * becomes a finding.
 */
export const splitStatements = (
  text: string,
  dialect: Dialect,
  file: string,
): { statements: Statement[]; findings: Finding[] } => {
  const statements: Statement[] = [];
  const findings: Finding[] = [];
  const pg = dialect === "postgres";
  const mysql = dialect === "mysql" || dialect === "mariadb";
  const sqlite = dialect === "sqlite";
  const backtickIdents = !pg;
  const backslashEscapes = mysql || dialect === "bigquery" || dialect === "snowflake";
  const hashComments = mysql || dialect === "bigquery";
  const n = text.length;

  let delimiter = ";";
  let line = 1;
  let i = 0;
  // Start of the current statement's code (-1 while only blanks and comments were seen).
  let start = -1;
  let startLine = 0;
  let lastCodeLine = 0;
  // Trigger bodies (`BEGIN … END;`) hold semicolons that do not end the statement.
  let words = 0;
  let firstWordCreate = false;
  let blockMode = false;
  let blockDepth = 0;
  let execComments = 0;
  let atLineStart = true;

  const finish = (end: number): void => {
    if (start >= 0) {
      const sql = text.slice(start, end).trim();
      if (sql.length > 0) statements.push({ sql, file, line: startLine, endLine: lastCodeLine });
      if (pg && COPY_FROM_STDIN.test(sql)) skipCopyData();
    }
    start = -1;
    words = 0;
    firstWordCreate = false;
    blockMode = false;
    blockDepth = 0;
  };

  const skipCopyData = (): void => {
    // Data rows follow the statement up to a line holding only `\.`.
    while (i < n && text.charCodeAt(i) !== NL) i++;
    while (i < n) {
      i++;
      line++;
      const eol = text.indexOf("\n", i);
      const rowEnd = eol < 0 ? n : eol;
      const row = text.slice(i, rowEnd).trimEnd();
      i = rowEnd;
      if (row === "\\.") return;
    }
  };

  const skipToEol = (): void => {
    while (i < n && text.charCodeAt(i) !== NL) i++;
  };

  const markCode = (): void => {
    if (start < 0) {
      start = i;
      startLine = line;
    }
    lastCodeLine = line;
  };

  const unterminated = (what: string, fromLine: number): void => {
    findings.push({
      rule: "sql-parse-error",
      severity: "warning",
      file,
      line: fromLine,
      message: `Unterminated ${what} starting at line ${fromLine}: the rest of the file was not analysed; analysis continued with the next file.`,
    });
    start = -1;
    i = n;
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === NL) {
      line++;
      i++;
      atLineStart = true;
      continue;
    }
    if (isSpace(c)) {
      i++;
      continue;
    }
    const lineStart = atLineStart;
    atLineStart = false;

    // Client commands are only recognised at the start of a line between statements.
    if (lineStart && start < 0) {
      if (pg && c === BACKSLASH) {
        skipToEol();
        continue;
      }
      if (sqlite && c === DOT) {
        skipToEol();
        continue;
      }
      if (mysql && (c === 68 || c === 100)) {
        const eol = text.indexOf("\n", i);
        const m = DELIMITER_LINE.exec(text.slice(i, eol < 0 ? n : eol));
        if (m?.[1]) {
          delimiter = m[1];
          skipToEol();
          continue;
        }
      }
    }
    if (pg && lineStart && c === BACKSLASH && start >= 0) {
      // psql meta-command inside a statement (e.g. `\gset`): ends the line, not the statement.
      skipToEol();
      continue;
    }

    const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
    // Comments.
    if (c === DASH && next === DASH) {
      skipToEol();
      continue;
    }
    if (c === HASH && hashComments) {
      skipToEol();
      continue;
    }
    if (c === SLASH && next === STAR) {
      if (
        mysql &&
        (text.charCodeAt(i + 2) === BANG || (text[i + 2] === "M" && text.charCodeAt(i + 3) === BANG))
      ) {
        // MySQL executable comment: its content is code.
        markCode();
        execComments++;
        i += text[i + 2] === "M" ? 4 : 3;
        while (i < n && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
        continue;
      }
      const fromLine = line;
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        const d = text.charCodeAt(i);
        if (d === NL) line++;
        if (d === STAR && text.charCodeAt(i + 1) === SLASH) {
          depth--;
          i += 2;
        } else if (pg && d === SLASH && text.charCodeAt(i + 1) === STAR) {
          depth++;
          i += 2;
        } else i++;
      }
      if (depth > 0) unterminated("comment", fromLine);
      continue;
    }
    if (c === STAR && next === SLASH && execComments > 0) {
      execComments--;
      i += 2;
      continue;
    }

    // Delimiter.
    if (delimiter === ";" ? c === SEMI : text.startsWith(delimiter, i)) {
      if (!(blockMode && blockDepth > 0)) {
        const end = i;
        i += delimiter.length;
        finish(end);
        continue;
      }
      markCode();
      i += delimiter.length;
      continue;
    }

    markCode();

    // Quoted strings and identifiers.
    if (c === SQ || c === DQ || (c === BACKTICK && backtickIdents) || (c === LBRACKET && sqlite)) {
      const close = c === LBRACKET ? RBRACKET : c;
      const prev = i > 0 ? text.charCodeAt(i - 1) : 0;
      const escapes =
        c !== BACKTICK &&
        c !== LBRACKET &&
        (backslashEscapes || (pg && c === SQ && (prev === 69 || prev === 101)));
      const fromLine = line;
      i++;
      let closed = false;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === NL) line++;
        if (escapes && d === BACKSLASH) {
          if (text.charCodeAt(i + 1) === NL) line++;
          i += 2;
          continue;
        }
        i++;
        if (d === close) {
          if (close !== RBRACKET && text.charCodeAt(i) === close) {
            i++;
            continue;
          }
          closed = true;
          break;
        }
      }
      lastCodeLine = line;
      if (!closed) unterminated(c === SQ ? "string" : "quoted identifier", fromLine);
      continue;
    }

    if (pg && c === DOLLAR && !(i > 0 && isIdentChar(text.charCodeAt(i - 1)))) {
      let j = i + 1;
      while (j < n && isIdentChar(text.charCodeAt(j)) && text.charCodeAt(j) !== DOLLAR) j++;
      const first = text.charCodeAt(i + 1);
      if (text.charCodeAt(j) === DOLLAR && (j === i + 1 || !(first >= 48 && first <= 57))) {
        const tag = text.slice(i, j + 1);
        const fromLine = line;
        const close = text.indexOf(tag, j + 1);
        const end = close < 0 ? n : close + tag.length;
        for (let k = j + 1; k < end; k++) if (text.charCodeAt(k) === NL) line++;
        i = end;
        lastCodeLine = line;
        if (close < 0) unterminated("dollar-quoted string", fromLine);
        continue;
      }
      i++;
      continue;
    }

    if (pg) {
      // Nothing else in a Postgres statement needs a look of its own: skip a run of such
      // characters at once (a cold run spent most of its split in this loop, one character a turn).
      PG_PLAIN_RUN.lastIndex = i;
      i = PG_PLAIN_RUN.test(text) ? PG_PLAIN_RUN.lastIndex : i + 1;
      continue;
    }

    if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isIdentChar(text.charCodeAt(j))) j++;
      if (!pg && words < 8) {
        const w = text.slice(i, j).toUpperCase();
        if (words === 0) firstWordCreate = w === "CREATE";
        else if (firstWordCreate && w === "TRIGGER") blockMode = true;
        words++;
      }
      if (blockMode && j - i <= 5) {
        const w = text.slice(i, j).toUpperCase();
        if (w === "BEGIN" || w === "CASE") blockDepth++;
        else if (w === "END") {
          let k = j;
          while (k < n && isSpace(text.charCodeAt(k))) k++;
          let e = k;
          while (e < n && isIdentChar(text.charCodeAt(e))) e++;
          const after = text.slice(k, e).toUpperCase();
          if (after !== "IF" && after !== "LOOP" && after !== "WHILE" && after !== "REPEAT") blockDepth--;
        }
      }
      i = j;
      continue;
    }
    i++;
  }
  if (start >= 0) finish(n);
  return { statements, findings };
};
