// `covenant infer` on live data, through the real CLI process: SQLite, PostgreSQL (a database of
// its own), CSV and a JSON sample; bad input exits 2 with a message saying what to do.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseContract } from "../src/core/model/contract.ts";
import { reserveApiTestDatabase } from "./helpers/api-db.ts";

const BIN = resolve(import.meta.dirname, "../bin/covenant.js");

let dir: string;
let pgDatabase: Awaited<ReturnType<typeof reserveApiTestDatabase>>;

const covenant = (...args: string[]) => {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

const contractOf = (yaml: string) => {
  const parsed = parseContract(yaml, "stdout");
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join("; "));
  return parsed.contract;
};

const STATUSES = ["new", "paid", "shipped"];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "covenant-cli-infer-"));
  const db = new Database(join(dir, "shop.db"));
  db.exec(
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, email TEXT NOT NULL, status TEXT NOT NULL, total REAL)",
  );
  const insert = db.prepare("INSERT INTO orders VALUES (?, ?, ?, ?)");
  for (let i = 1; i <= 30; i++)
    insert.run(i, `c${i}@shop.example`, STATUSES[i % 3], i % 4 === 0 ? null : i * 2);
  db.exec("CREATE TABLE audit (at TEXT)");
  db.close();
  writeFileSync(
    join(dir, "events.csv"),
    `event_id,kind,at\n${Array.from({ length: 12 }, (_, i) => `${i + 1},${i % 2 ? "click" : "view"},2024-05-01 10:0${i % 10}:00`).join("\n")}\n`,
  );
  writeFileSync(
    join(dir, "payments.json"),
    JSON.stringify(
      Array.from({ length: 9 }, (_, i) => ({ id: i + 1, method: i % 3 ? "card" : "cash", paid: true })),
    ),
  );
  writeFileSync(join(dir, "broken.json"), "[{");
  pgDatabase = await reserveApiTestDatabase("postgres");
  const client = new pg.Client({ connectionString: pgDatabase.url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA sales;
      CREATE TABLE sales.invoices (id serial PRIMARY KEY, customer_email text NOT NULL, currency char(3) NOT NULL);
      INSERT INTO sales.invoices (customer_email, currency)
        SELECT 'x' || g || '@corp.example', CASE WHEN g % 2 = 0 THEN 'EUR' ELSE 'USD' END FROM generate_series(1, 40) g;`);
  } finally {
    await client.end();
  }
}, 60_000);

afterAll(async () => {
  await pgDatabase?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe("covenant infer on live data", { timeout: 60_000 }, () => {
  it("profiles a SQLite table and prints a draft with explained suggestions", () => {
    const { code, stdout, stderr } = covenant(
      "infer",
      "--source",
      "shop.db",
      "--table",
      "orders",
      "--owner",
      "@acme/data",
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^# Draft inferred by profiling 30 rows of shop\.db\./);
    expect(stdout).toContain(
      "accepted_values: [ new, paid, shipped ] # 3 distinct values in 30 non-null rows",
    );
    expect(stdout).toContain("# all 30 non-null values of email look like email addresses");
    const contract = contractOf(stdout);
    expect(contract).toMatchObject({
      name: "orders",
      owner: "@acme/data",
      status: "draft",
      dataset: { name: "main.orders" },
      schema: { primary_key: ["id"] },
    });
    // The draft is a contract the data keeps: validating the same table with it passes.
    writeFileSync(join(dir, "orders.yaml"), stdout);
    const validated = covenant(
      "validate",
      "--contract",
      "orders.yaml",
      "--source",
      "shop.db",
      "--table",
      "orders",
    );
    expect(validated.stdout).toMatch(/^passed: main\.orders/);
    expect(validated.code).toBe(0);
  });

  it("profiles a sample of a PostgreSQL table, naming the dataset", () => {
    const { code, stdout } = covenant(
      "infer",
      "--source",
      pgDatabase.url,
      "--table",
      "sales.invoices",
      "--sample-limit",
      "20",
      "--dataset",
      "sales.invoices",
    );
    expect(code).toBe(0);
    expect(stdout).toContain(
      "# Draft inferred by profiling 20 rows (a sample of at most 20) of postgresql://",
    );
    const contract = contractOf(stdout);
    expect(contract.name).toBe("invoices");
    expect(contract.schema.columns.map((c) => [c.name, c.type, c.required])).toEqual([
      ["id", "integer", true],
      ["customer_email", "text", true],
      ["currency", "char(3)", true],
    ]);
    expect(contract.schema.columns[2]?.accepted_values).toEqual(["EUR", "USD"]);
  });

  it("--from-csv profiles a CSV file, types inferred, the file's name as dataset", () => {
    const { code, stdout } = covenant("infer", "--from-csv", "events.csv");
    expect(code).toBe(0);
    const contract = contractOf(stdout);
    expect(contract).toMatchObject({ name: "events", dataset: { name: "events" } });
    expect(contract.schema.columns.map((c) => [c.name, c.type, c.required, c.unique])).toEqual([
      ["event_id", "integer", true, true],
      ["kind", "string", true, undefined],
      ["at", "timestamp", true, undefined],
    ]);
    expect(stdout).toContain("unique: true # all 12 values distinct");
  });

  it("--from-json profiles the sample too", () => {
    const { code, stdout } = covenant("infer", "--from-json", "payments.json");
    expect(code).toBe(0);
    expect(stdout).toContain("accepted_values: [ card, cash ] # 2 distinct values in 9 non-null rows");
    expect(contractOf(stdout).dataset.name).toBe("payments");
  });

  it.each([
    [
      ["--source", "shop.db", "--table", "ordres"],
      "table ordres not found in",
      "give one of main.audit, main.orders",
    ],
    [["--source", "missing.db"], "missing.db does not exist", ""],
    [
      ["--source", "shop.db", "--table", "orders", "--sample-limit", "0"],
      "--sample-limit must be a positive whole number",
      "",
    ],
    [
      ["--source", "shop.db", "--from-csv", "events.csv"],
      "give one of --source, --from-csv, not several",
      "",
    ],
    [["--source", "shop.db", "db/migrations"], "--source infers from data, not from migrations", ""],
    [["--table", "orders", "db/migrations"], "--table applies to a data source", ""],
    [["db/migrations"], "--dataset NAME is required with migrations", ""],
    [["--from-json", "broken.json"], "broken.json is not JSON", ""],
  ])("exits 2 on %j", (args, message, more) => {
    const { code, stderr } = covenant("infer", ...args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain(more);
  });
});
