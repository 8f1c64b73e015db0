import type { Dialect } from "../model/contract-levels.ts";

/** Syntax only one dialect family writes, with the words a user would recognise it by. */
const MARKERS: ReadonlyArray<{ dialect: Dialect; label: string; pattern: RegExp }> = [
  { dialect: "mysql", label: "AUTO_INCREMENT", pattern: /\bAUTO_INCREMENT\b/i },
  { dialect: "mysql", label: "ENGINE=", pattern: /\)\s*ENGINE\s*=/i },
  { dialect: "mysql", label: "`backquoted` names", pattern: /`[^`\n]+`/ },
  {
    dialect: "mysql",
    label: "UNSIGNED",
    pattern: /\b(INT|INTEGER|BIGINT|SMALLINT|TINYINT)\b[^,\n]*\bUNSIGNED\b/i,
  },
  { dialect: "mysql", label: "DEFAULT CHARSET", pattern: /\bDEFAULT\s+CHARSET\b/i },
  { dialect: "sqlite", label: "AUTOINCREMENT", pattern: /\bAUTOINCREMENT\b/i },
  { dialect: "sqlite", label: "WITHOUT ROWID", pattern: /\bWITHOUT\s+ROWID\b/i },
  { dialect: "sqlite", label: "PRAGMA", pattern: /^\s*PRAGMA\b/im },
  { dialect: "postgres", label: "SERIAL", pattern: /\b(BIG|SMALL)?SERIAL\b/i },
  { dialect: "postgres", label: "JSONB", pattern: /\bJSONB\b/i },
  { dialect: "postgres", label: "TIMESTAMPTZ", pattern: /\bTIMESTAMPTZ\b/i },
  { dialect: "postgres", label: "CREATE EXTENSION", pattern: /\bCREATE\s+EXTENSION\b/i },
  { dialect: "postgres", label: ":: casts", pattern: /[\w')]::[a-z]/i },
  { dialect: "postgres", label: "$$ bodies", pattern: /\$\$/ },
];

export type DialectGuess = { dialect: Dialect; evidence: string };

/**
 * The dialect a migration history is written in, judged from syntax only one dialect uses
 * (AUTO_INCREMENT, AUTOINCREMENT, SERIAL…); undefined when nothing tells (plain SQL replays the
 * same everywhere) or two dialects tie. MySQL and MariaDB read alike: both are `mysql` here.
 */
export const guessDialect = (
  files: ReadonlyArray<{ path: string; content: string }>,
): DialectGuess | undefined => {
  const seen = new Map<Dialect, { count: number; first: string }>();
  for (const marker of MARKERS) {
    const file = files.find((f) => marker.pattern.test(stripComments(f.content)));
    if (!file) continue;
    const entry = seen.get(marker.dialect);
    if (entry) entry.count++;
    else seen.set(marker.dialect, { count: 1, first: `${marker.label} in ${file.path}` });
  }
  const ranked = [...seen.entries()].sort((a, b) => b[1].count - a[1].count);
  const [best, second] = ranked;
  if (!best || (second && second[1].count === best[1].count)) return undefined;
  return { dialect: best[0], evidence: best[1].first };
};

const stripComments = (sql: string): string =>
  sql.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/--[^\n]*/g, " ");
