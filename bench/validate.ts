/**
 * `npm run bench:validate`: how fast a contract is validated inside live sources.
 *
 * A 10-rule contract (required ×2, accepted_values, unique, regex, range, length, sql expression,
 * freshness, completeness) over 1,000,000 rows in PostgreSQL (a temporary database filled with
 * generate_series, dropped at the end), in a Parquet file and in a SQLite file (both written into
 * a temporary directory). Every 100,000th row has a bad email, so the sample queries run too.
 * Reports the median wall time of validateSource over a few runs (after a warm-up), and rows/s.
 * `checks` counts what ran besides the schema: SQLite adds a row-level type check per column.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import Database from "better-sqlite3";
import { type Contract, parseContract } from "../src/core/model/contract.ts";
import { openSource } from "../src/sources/open-source.ts";
import type { SourceSpec } from "../src/sources/types.ts";
import { type DataValidationResult, validateSource } from "../src/sources/validate-source.ts";
import { createPgDatabase } from "../test/helpers/pg-database.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 3);

const CONTRACT = `name: orders
version: 1.0.0
owner: "@acme/data-platform"
dataset: { name: orders }
schema:
  columns:
    - { name: id, type: integer, required: true, unique: true }
    - { name: email, type: string }
    - { name: status, type: string, required: true, accepted_values: [new, paid, shipped] }
    - { name: amount, type: integer }
    - { name: code, type: string }
    - { name: updated_at, type: timestamp }
quality:
  - { id: email_format, type: regex, column: email, pattern: '^[^@]+@[^@]+\\.[^@]+$' }
  - { id: amount_range, type: range, column: amount, min: 0, max: 100000 }
  - { id: amount_or_new, type: sql, expression: "amount >= 0 OR status = 'new'" }
  - { id: code_length, type: length, column: code, min: 1, max: 8 }
sla:
  freshness: { column: updated_at, max_lag_minutes: 1440 }
  completeness_pct: 99
`;

const contract = (): Contract => {
  const parsed = parseContract(CONTRACT, "bench.yaml");
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join("\n"));
  return parsed.contract;
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

const ruleCount = (c: Contract): number =>
  c.schema.columns.filter((col) => col.required).length +
  c.schema.columns.filter((col) => col.accepted_values).length +
  c.schema.columns.filter((col) => col.unique).length +
  (c.quality?.length ?? 0) +
  (c.sla?.freshness ? 1 : 0) +
  (c.sla?.completeness_pct !== undefined ? 1 : 0);

const timed = async <T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
};

// ------------------------------------------------------------------------------------------------
// Data

const makePostgres = async (): Promise<{ url: string; drop: () => Promise<void> }> => {
  const database = await createPgDatabase("covenant_bench");
  await database.query(`CREATE TABLE orders AS
    SELECT g::bigint AS id,
           CASE WHEN g % 100000 = 0 THEN 'bad-email-' || g ELSE 'user' || g || '@example.com' END AS email,
           (ARRAY['new', 'paid', 'shipped'])[1 + g % 3] AS status,
           (g % 1000)::integer AS amount,
           substr(md5(g::text), 1, 1 + g % 8) AS code,
           now() - (g % 600) * interval '1 minute' AS updated_at
      FROM generate_series(1, ${ROWS}) g`);
  await database.query("ALTER TABLE orders ADD PRIMARY KEY (id), ALTER COLUMN status SET NOT NULL");
  await database.query("ANALYZE orders");
  return { url: database.ownerUrl, drop: database.drop };
};

const makeParquet = async (path: string): Promise<void> => {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(`COPY (
    SELECT range AS id,
           CASE WHEN range % 100000 = 0 THEN 'bad-email-' || range ELSE 'user' || range || '@example.com' END AS email,
           ['new', 'paid', 'shipped'][1 + range % 3] AS status,
           (range % 1000)::INTEGER AS amount,
           substr(md5(range::VARCHAR), 1, 1 + range % 8) AS code,
           now()::TIMESTAMP - to_minutes((range % 600)::BIGINT) AS updated_at
      FROM range(1, ${ROWS + 1})
  ) TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`);
  connection.closeSync();
  instance.closeSync();
};

const makeSqlite = (path: string): void => {
  const db = new Database(path);
  db.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, email TEXT, status TEXT NOT NULL, amount INTEGER, code TEXT, updated_at TIMESTAMP);
    WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ${ROWS})
    INSERT INTO orders
    SELECT i,
           CASE WHEN i % 100000 = 0 THEN 'bad-email-' || i ELSE 'user' || i || '@example.com' END,
           CASE i % 3 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' ELSE 'shipped' END,
           i % 1000,
           substr(hex(i * 2654435761), 1, 1 + i % 8),
           strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || (i % 600) || ' minutes')
      FROM g;`);
  db.close();
};

// ------------------------------------------------------------------------------------------------

type Row = { source: string; setupMs: number; openMs: number; wallMs: number; result: DataValidationResult };

const bench = async (name: string, spec: SourceSpec, setupMs: number): Promise<Row> => {
  const c = contract();
  const { ms: openMs, value: source } = await timed(() => openSource(spec));
  try {
    await validateSource(c, source, { timeoutMs: 600_000 }); // warm-up: caches, JIT
    const times: number[] = [];
    let result: DataValidationResult | undefined;
    for (let i = 0; i < ITERATIONS; i++) {
      const run = await timed(() => validateSource(c, source, { timeoutMs: 600_000 }));
      times.push(run.ms);
      result = run.value;
    }
    if (!result) throw new Error("no run");
    return { source: name, setupMs, openMs, wallMs: median(times), result };
  } finally {
    await source.close();
  }
};

const table = (header: string[], rows: string[][]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [fmt(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(fmt)].join("\n");
};

const main = async () => {
  const dir = mkdtempSync(join(tmpdir(), "covenant-bench-validate-"));
  const rows: Row[] = [];
  let pgDb: { url: string; drop: () => Promise<void> } | undefined;
  try {
    console.log(
      `bench:validate: ${ROWS.toLocaleString("en")} rows, ${ruleCount(contract())} rules, median of ${ITERATIONS}`,
    );

    const pgSetup = await timed(makePostgres);
    pgDb = pgSetup.value;
    rows.push(await bench("postgres 15", { kind: "postgres", location: pgDb.url }, pgSetup.ms));

    const parquet = join(dir, "orders.parquet");
    const parquetSetup = await timed(() => makeParquet(parquet));
    rows.push(await bench("parquet (duckdb)", { kind: "parquet", location: parquet }, parquetSetup.ms));

    const sqlite = join(dir, "orders.db");
    const sqliteSetup = await timed(async () => makeSqlite(sqlite));
    rows.push(await bench("sqlite", { kind: "sqlite", location: sqlite }, sqliteSetup.ms));

    console.log(
      table(
        ["source", "rows", "checks", "failed", "wall ms", "rows/s", "open ms", "setup ms"],
        rows.map((r) => [
          r.source,
          r.result.rows_evaluated.toLocaleString("en"),
          String(r.result.results.filter((x) => x.kind !== "schema").length),
          r.result.results
            .filter((x) => x.status === "failed")
            .map((x) => `${x.rule_id}(${x.failed_rows})`)
            .join(" ") || "-",
          r.wallMs.toFixed(0),
          Math.round(r.result.rows_evaluated / (r.wallMs / 1000)).toLocaleString("en"),
          r.openMs.toFixed(0),
          r.setupMs.toFixed(0),
        ]),
      ),
    );
    console.log(
      `parquet file: ${(statSync(parquet).size / 1024 / 1024).toFixed(1)} MB, sqlite file: ${(statSync(sqlite).size / 1024 / 1024).toFixed(1)} MB`,
    );
  } finally {
    await pgDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
