/**
 * Compares Covenant's replayed schema with what a real engine built from the same files, and
 * turns the result into agreement counts plus a precise list of every disagreement.
 */
import type { SchemaState } from "../../src/core/model/schema.ts";
import type { TypeFamily } from "../../src/core/model/type-family.ts";
import type { Engine, History } from "./corpus.ts";
import type { OracleSchema, StatementFailure } from "./oracles.ts";

export type Metric = "tables" | "columns" | "nullability" | "family" | "primaryKey" | "foreignKeys";
export const METRICS: readonly Metric[] = [
  "tables",
  "columns",
  "nullability",
  "family",
  "primaryKey",
  "foreignKeys",
];

export type Count = { agree: number; total: number };
export type Agreement = Record<Metric, Count>;

export type Disagreement =
  | { metric: "tables"; table: string; problem: "missing" | "extra" }
  | { metric: "columns"; table: string; column: string; problem: "missing" | "extra" }
  | { metric: "nullability"; table: string; column: string; engine: boolean; replay: boolean }
  | {
      metric: "family";
      table: string;
      column: string;
      engine: TypeFamily;
      engineType: string;
      replay: TypeFamily;
      replayType: string;
    }
  | { metric: "primaryKey"; table: string; engine: string[]; replay: string[] }
  | { metric: "foreignKeys"; table: string; foreignKey: string; problem: "missing" | "extra" };

export type Comparison = { agreement: Agreement; disagreements: Disagreement[] };

/** Unquoted and quoted identifiers alike are case-insensitive in MySQL columns and in SQLite. */
const foldColumn = (engine: Engine, name: string): string =>
  engine === "postgres" ? name : name.toLowerCase();
const foldTable = (engine: Engine, name: string): string => (engine === "sqlite" ? name.toLowerCase() : name);

const zero = (): Count => ({ agree: 0, total: 0 });

export const compareSchemas = (engine: Engine, oracle: OracleSchema, replayed: SchemaState): Comparison => {
  const agreement: Agreement = {
    tables: zero(),
    columns: zero(),
    nullability: zero(),
    family: zero(),
    primaryKey: zero(),
    foreignKeys: zero(),
  };
  const disagreements: Disagreement[] = [];
  const count = (m: Metric, ok: boolean) => {
    agreement[m].total++;
    if (ok) agreement[m].agree++;
  };

  const replayTables = new Map([...replayed.datasets.values()].map((t) => [foldTable(engine, t.name), t]));
  const oracleTables = new Map([...oracle.tables].map(([name, t]) => [foldTable(engine, name), t]));
  const names = [...new Set([...oracleTables.keys(), ...replayTables.keys()])].sort();

  for (const name of names) {
    const o = oracleTables.get(name);
    const r = replayTables.get(name);
    count("tables", o !== undefined && r !== undefined);
    if (!o || !r) {
      // The columns and key of a missing or extra table count against the replay too (listed
      // once, as the table), so that losing a whole table cannot raise the column figures.
      disagreements.push({ metric: "tables", table: name, problem: o ? "missing" : "extra" });
      agreement.columns.total += o ? o.columns.size : (r?.columns.length ?? 0);
      if ((o?.kind ?? r?.kind) === "table") agreement.primaryKey.total++;
      agreement.foreignKeys.total += o ? o.foreignKeys.length : (r?.foreignKeys.length ?? 0);
      continue;
    }

    const rCols = new Map(r.columns.map((c) => [foldColumn(engine, c.name), c]));
    const oCols = new Map([...o.columns].map(([n, c]) => [foldColumn(engine, n), c]));
    for (const col of [...new Set([...oCols.keys(), ...rCols.keys()])]) {
      const oc = oCols.get(col);
      const rc = rCols.get(col);
      count("columns", oc !== undefined && rc !== undefined);
      if (!oc || !rc) {
        disagreements.push({
          metric: "columns",
          table: name,
          column: col,
          problem: oc ? "missing" : "extra",
        });
        continue;
      }
      count("nullability", oc.nullable === rc.nullable);
      if (oc.nullable !== rc.nullable) {
        disagreements.push({
          metric: "nullability",
          table: name,
          column: col,
          engine: oc.nullable,
          replay: rc.nullable,
        });
      }
      count("family", oc.family === rc.type.family);
      if (oc.family !== rc.type.family) {
        disagreements.push({
          metric: "family",
          table: name,
          column: col,
          engine: oc.family,
          engineType: oc.type,
          replay: rc.type.family,
          replayType: rc.type.raw,
        });
      }
    }

    if (o.kind === "table") {
      const oPk = o.primaryKey.map((c) => foldColumn(engine, c));
      const rPk = (r.primaryKey?.columns ?? []).map((c) => foldColumn(engine, c));
      const same = oPk.length === rPk.length && oPk.every((c, i) => c === rPk[i]);
      count("primaryKey", same);
      if (!same) disagreements.push({ metric: "primaryKey", table: name, engine: oPk, replay: rPk });
    }

    const fk = (columns: string[], table: string, references: string[]) =>
      `(${columns.map((c) => foldColumn(engine, c)).join(", ")}) -> ${foldTable(engine, table)}(${references.map((c) => foldColumn(engine, c)).join(", ")})`;
    const oFks = new Set(o.foreignKeys.map((k) => fk(k.columns, k.table, k.references)));
    const rFks = new Set(
      r.foreignKeys.map((k) => {
        // `REFERENCES t` without columns means t's primary key.
        const target = replayTables.get(foldTable(engine, k.references.dataset));
        const refs =
          k.references.columns.length > 0 ? k.references.columns : (target?.primaryKey?.columns ?? []);
        return fk(k.columns, k.references.dataset, refs);
      }),
    );
    for (const key of [...new Set([...oFks, ...rFks])].sort()) {
      const ok = oFks.has(key) && rFks.has(key);
      count("foreignKeys", ok);
      if (!ok)
        disagreements.push({
          metric: "foreignKeys",
          table: name,
          foreignKey: key,
          problem: oFks.has(key) ? "missing" : "extra",
        });
    }
  }
  return { agreement, disagreements };
};

export const pct = (c: Count): number => (c.total === 0 ? 100 : (100 * c.agree) / c.total);

export const describeDisagreement = (d: Disagreement): string => {
  switch (d.metric) {
    case "tables":
      return d.problem === "missing"
        ? `table ${d.table}: in the engine, missing from the replay`
        : `table ${d.table}: in the replay, not in the engine`;
    case "columns":
      return d.problem === "missing"
        ? `column ${d.table}.${d.column}: in the engine, missing from the replay`
        : `column ${d.table}.${d.column}: in the replay, not in the engine`;
    case "nullability":
      return `column ${d.table}.${d.column}: engine ${d.engine ? "NULL" : "NOT NULL"}, replay ${d.replay ? "NULL" : "NOT NULL"}`;
    case "family":
      return `column ${d.table}.${d.column}: engine ${d.engine} (${d.engineType}), replay ${d.replay} (${d.replayType})`;
    case "primaryKey":
      return `primary key ${d.table}: engine (${d.engine.join(", ")}), replay (${d.replay.join(", ")})`;
    case "foreignKeys":
      return d.problem === "missing"
        ? `foreign key ${d.table} ${d.foreignKey}: in the engine, missing from the replay`
        : `foreign key ${d.table} ${d.foreignKey}: in the replay, not in the engine`;
  }
};

/** The outcome of one package × engine history: both sides, the comparison and the noise. */
export type FidelityResult = {
  pkg: string;
  engine: Engine;
  files: string[];
  comparison: Comparison;
  engineStatements: number;
  engineFailures: StatementFailure[];
  replayStatements: number;
  replayFindings: { file: string; line: number; rule: string; message: string }[];
};

export type ReplayFn = (input: { files: { path: string; content: string }[]; dialect: Engine }) => Promise<{
  state: SchemaState;
  findings: { file: string; line: number; rule: string; message: string }[];
  statements: number;
}>;

export type OracleFn = (engine: Engine, files: History["files"]) => Promise<OracleSchema>;

export const runFidelity = async (
  history: History,
  replay: ReplayFn,
  oracle: OracleFn,
): Promise<FidelityResult> => {
  const [replayed, real] = await Promise.all([
    replay({ files: history.files, dialect: history.engine }),
    oracle(history.engine, history.files),
  ]);
  return {
    pkg: history.pkg,
    engine: history.engine,
    files: history.files.map((f) => f.path),
    comparison: compareSchemas(history.engine, real, replayed.state),
    engineStatements: real.statements,
    engineFailures: real.failures,
    replayStatements: replayed.statements,
    replayFindings: replayed.findings.map(({ file, line, rule, message }) => ({ file, line, rule, message })),
  };
};

const pad = (s: string, n: number): string => (s.length >= n ? s : s + " ".repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : " ".repeat(n - s.length) + s);

const cell = (c: Count): string => `${c.agree}/${c.total} ${pct(c).toFixed(1)}%`;

/** A plain-text report: one row per package × engine, then every disagreement and engine failure. */
export const formatReport = (results: FidelityResult[]): string => {
  const header = [
    "package",
    "engine",
    "tables",
    "columns",
    "nullability",
    "type family",
    "primary key",
    "foreign keys",
    "stmts",
    "findings",
  ];
  const rows = results.map((r) => [
    r.pkg,
    r.engine,
    ...METRICS.map((m) => cell(r.comparison.agreement[m])),
    `${r.replayStatements}/${r.engineStatements}`,
    String(r.replayFindings.length),
  ]);
  const totals = METRICS.map((m) =>
    results.reduce(
      (acc, r) => ({
        agree: acc.agree + r.comparison.agreement[m].agree,
        total: acc.total + r.comparison.agreement[m].total,
      }),
      zero(),
    ),
  );
  rows.push([
    "ALL",
    "",
    ...totals.map(cell),
    `${results.reduce((n, r) => n + r.replayStatements, 0)}/${results.reduce((n, r) => n + r.engineStatements, 0)}`,
    String(results.reduce((n, r) => n + r.replayFindings.length, 0)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) =>
    row.map((c, i) => (i < 2 ? pad(c, widths[i] ?? 0) : lpad(c, widths[i] ?? 0))).join("  ");
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  out.push("", "stmts = statements replayed / statements the engine ran; findings = replay findings");

  for (const r of results) {
    const issues = r.comparison.disagreements;
    if (issues.length === 0 && r.engineFailures.length === 0 && r.replayFindings.length === 0) continue;
    out.push("", `## ${r.pkg} × ${r.engine} (${r.files.join(", ")})`);
    for (const d of issues) out.push(`  - ${describeDisagreement(d)}`);
    for (const f of r.replayFindings) out.push(`  ~ replay ${f.rule} ${f.file}:${f.line}: ${f.message}`);
    for (const f of r.engineFailures) {
      out.push(
        `  ! engine rejected ${f.file}:${f.line}: ${f.error} | ${f.sql.replace(/\s+/g, " ").slice(0, 120)}`,
      );
    }
  }
  return out.join("\n");
};
