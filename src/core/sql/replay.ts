import type { Dialect } from "../model/contract-levels.ts";
import { compareByPosition, type Finding } from "../model/finding.ts";
import type { EnumType, SchemaState, TableSchema } from "../model/schema.ts";
import type { NormalizedType } from "../model/type-family.ts";
import { Applier, type ReplayEvent } from "./apply.ts";
import { GenericReplayer } from "./generic.ts";
import { loadPostgresParser, PostgresReplayer } from "./postgres.ts";
import { splitStatements } from "./split.ts";

export type { ReplayEvent } from "./apply.ts";

export type ReplayInput = {
  files: { path: string; content: string }[];
  dialect: Dialect;
  initial?: SchemaState;
};
export type ReplayResult = {
  state: SchemaState;
  findings: Finding[];
  events: ReplayEvent[];
  statements: number;
  bytes: number;
};

export const cloneSchemaState = (s: SchemaState): SchemaState => {
  const out: SchemaState = { datasets: structuredClone(s.datasets), enums: structuredClone(s.enums) };
  if (s.domains) out.domains = structuredClone(s.domains);
  return out;
};

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
    datasets: new Map(json.datasets.map((t) => [t.name, structuredClone(t)])),
    enums: new Map(json.enums.map((e) => [e.name, structuredClone(e)])),
  };
  if (json.domains)
    state.domains = new Map(json.domains.map(({ name, type, nullable }) => [name, { type, nullable }]));
  return state;
};

const utf8 = new TextEncoder();

/**
 * Replays migration files, in the given order, into the schema they produce. Never throws on
 * bad SQL: what cannot be parsed or understood becomes a `sql-parse-error` finding and replay
 * goes on with the next statement.
 */
export const replay = async (input: ReplayInput): Promise<ReplayResult> => {
  const state = input.initial ? cloneSchemaState(input.initial) : { datasets: new Map(), enums: new Map() };
  const app = new Applier(state, input.dialect);
  const findings: Finding[] = [];
  let statements = 0;
  let bytes = 0;
  let translator: PostgresReplayer | GenericReplayer;
  if (input.dialect === "postgres") {
    await loadPostgresParser();
    translator = new PostgresReplayer(app);
  } else translator = new GenericReplayer(app, input.dialect);

  for (const file of input.files) {
    bytes += utf8.encode(file.content).length;
    const split = splitStatements(file.content, input.dialect, file.path);
    findings.push(...split.findings);
    app.beginFile(file.path);
    translator.beginFile();
    for (const st of split.statements) {
      statements++;
      translator.statement(st);
    }
    app.endFile();
  }
  findings.push(...app.findings);
  // Position order, with files in replay order rather than alphabetical.
  const order = new Map(input.files.map((f, i) => [f.path, i]));
  findings.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || compareByPosition(a, b));
  return { state, findings, events: app.events, statements, bytes };
};
