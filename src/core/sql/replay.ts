import { cloneEnum, cloneSchemaState as cloneState, cloneTable } from "../model/clone-schema.ts";
import type { Dialect } from "../model/contract-levels.ts";
import { compareByPosition, type Finding, type Unverified } from "../model/finding.ts";
import type { EnumType, SchemaState, TableSchema } from "../model/schema.ts";
import type { NormalizedType } from "../model/type-family.ts";
import { Applier, type ReplayEvent } from "./apply.ts";
import { dialectHint } from "./dialect-hint.ts";
import { GenericReplayer } from "./generic.ts";
import { loadPostgresParser, PostgresReplayer } from "./postgres.ts";
import { type Statement, splitStatements } from "./split.ts";
import { utf8Length } from "./utf8.ts";

export type { ReplayEvent } from "./apply.ts";

export type ReplayInput = {
  files: { path: string; content: string }[];
  dialect: Dialect;
  initial?: SchemaState;
};
export type ReplayResult = {
  state: SchemaState;
  findings: Finding[];
  /** What could not be verified (each also among `findings`). */
  unverified: Unverified[];
  events: ReplayEvent[];
  statements: number;
  bytes: number;
};

export { cloneSchemaState } from "../model/clone-schema.ts";

/** JSON-safe form of a SchemaState, e.g. to cache the base revision's schema by commit SHA. */
export type SerializedSchemaState = {
  datasets: TableSchema[];
  enums: EnumType[];
  domains?: Array<{ name: string; type: NormalizedType; nullable: boolean }>;
};

export const serializeSchemaState = (s: SchemaState): SerializedSchemaState => {
  const out: SerializedSchemaState = { datasets: [...s.datasets.values()], enums: [...s.enums.values()] };
  if (s.domains && s.domains.size > 0) out.domains = [...s.domains].map(([name, d]) => ({ name, ...d }));
  return JSON.parse(JSON.stringify(out)) as SerializedSchemaState;
};

export const deserializeSchemaState = (json: SerializedSchemaState): SchemaState => {
  const state: SchemaState = {
    datasets: new Map(json.datasets.map((t) => [t.name, cloneTable(t)])),
    enums: new Map(json.enums.map((e) => [e.name, cloneEnum(e)])),
  };
  if (json.domains)
    state.domains = new Map(json.domains.map(({ name, type, nullable }) => [name, { type, nullable }]));
  return state;
};

/**
 * What one migration file may hold before Covenant refuses to replay it (and says so): the
 * Postgres parser is WASM with a bounded heap and ran out of memory on a 45 MB statement, and
 * hundreds of thousands of statements took minutes and gigabytes. Real migration files are far
 * below these.
 */
export const REPLAY_LIMITS = {
  fileBytes: 16 * 1024 * 1024,
  statementChars: 1024 * 1024,
  statementsPerFile: 50_000,
};

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

const lineOf = (text: string, index: number): number => {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
};

/** The rest of a file from a 1-based line, for a scan of the names it mentions. */
const fromLine = (text: string, line: number): string => {
  let at = 0;
  for (let l = 1; l < line && at >= 0; l++) at = text.indexOf("\n", at) + 1 || -1;
  return at < 0 ? "" : text.slice(at);
};

/**
 * Replays migration files, in the given order, into the schema they produce. Never throws on
 * bad SQL: what cannot be parsed or understood becomes a `sql-parse-error` finding and replay
 * goes on with the next statement.
 */
export const replay = async (input: ReplayInput): Promise<ReplayResult> => {
  const state = input.initial ? cloneState(input.initial) : { datasets: new Map(), enums: new Map() };
  const app = new Applier(state, input.dialect);
  const findings: Finding[] = [];
  let statements = 0;
  let bytes = 0;
  // Every dialect needs the Postgres parser: MySQL and SQLite histories for the dialect hint, which
  // asks it whether statements the configured dialect cannot read are PostgreSQL.
  await loadPostgresParser();
  const translator: PostgresReplayer | GenericReplayer =
    input.dialect === "postgres" ? new PostgresReplayer(app) : new GenericReplayer(app, input.dialect);

  for (const file of input.files) {
    const size = utf8Length(file.content);
    bytes += size;
    app.beginFile(file.path);
    translator.beginFile();
    if (size > REPLAY_LIMITS.fileBytes) {
      app.unverifiable(
        "too-large",
        { file: file.path, line: 1 },
        `This file is ${mib(size)}, over the ${mib(REPLAY_LIMITS.fileBytes)} Covenant replays; it was not analysed.`,
        file.content,
      );
      app.endFile();
      continue;
    }
    if (file.content.includes("\u0000")) {
      app.unverifiable(
        "parse-error",
        { file: file.path, line: lineOf(file.content, file.content.indexOf("\u0000")) },
        "This file holds NUL bytes: it is binary or in an encoding Covenant cannot read (e.g. UTF-16 without a byte-order mark); it was not analysed.",
        file.content.replaceAll("\u0000", ""),
      );
      app.endFile();
      continue;
    }
    const invalid = file.content.indexOf("\uFFFD");
    if (invalid >= 0) {
      const line = lineOf(file.content, invalid);
      findings.push({
        rule: "sql-parse-error",
        severity: "warning",
        file: file.path,
        line,
        message: `Invalid UTF-8 at line ${line} (read as U+FFFD): names or strings there may be misread; save the file as UTF-8.`,
      });
    }
    const split = splitStatements(file.content, input.dialect, file.path);
    for (const finding of split.findings)
      app.unverifiable("parse-error", finding, finding.message, fromLine(file.content, finding.line));
    if (split.statements.length > REPLAY_LIMITS.statementsPerFile) {
      app.unverifiable(
        "too-large",
        { file: file.path, line: 1 },
        `This file holds ${split.statements.length} statements, over the ${REPLAY_LIMITS.statementsPerFile} Covenant replays per file; it was not analysed.`,
        file.content,
      );
      app.endFile();
      continue;
    }
    const unparsed = new Set<Statement>();
    if (translator instanceof PostgresReplayer) translator.prepare(split.statements);
    for (const st of split.statements) {
      statements++;
      const before = app.unparsed;
      if (st.sql.length > REPLAY_LIMITS.statementChars) {
        app.unverifiable(
          "too-large",
          st,
          `This statement (lines ${st.line}-${st.endLine}) is ${mib(st.sql.length)}, over the ${mib(REPLAY_LIMITS.statementChars)} Covenant parses; it was skipped and analysis continued.`,
          st.sql,
        );
        continue;
      }
      translator.statement(st);
      if (app.unparsed > before) unparsed.add(st);
    }
    const hint = dialectHint({
      file: file.path,
      dialect: input.dialect,
      statements: split.statements,
      unparsed,
    });
    if (hint) findings.push(hint);
    app.endFile();
  }
  for (const finding of app.findings) findings.push(finding);
  // Position order, with files in replay order rather than alphabetical.
  const order = new Map(input.files.map((f, i) => [f.path, i]));
  findings.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || compareByPosition(a, b));
  return { state, findings, unverified: app.unverified, events: app.events, statements, bytes };
};
