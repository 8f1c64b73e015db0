// Profiling and contract inference on real sources, opened through openSource: SQLite, a
// PostgreSQL database of its own, and CSV, JSON lines and Parquet files read by DuckDB. The test
// that matters: a contract inferred from a source validates against that same source.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Contract, parseContract } from "../../src/core/model/contract.ts";
import { EMAIL_PATTERN } from "../../src/core/validate/profile.ts";
import { openSource } from "../../src/sources/open-source.ts";
import { inferFromSource, profileSource } from "../../src/sources/profile-source.ts";
import type { DataSource, SourceSpec } from "../../src/sources/types.ts";
import { validateSource } from "../../src/sources/validate-source.ts";
import { reserveApiTestDatabase } from "../helpers/api-db.ts";

const ROWS = 60;
const TIERS = ["free", "gold", "pro"];

/** The same customers in every source: ids, emails (one missing), a tier, amounts, dates. */
const customers = Array.from({ length: ROWS }, (_, n) => {
  const i = n + 1;
  return {
    id: i,
    email: i === 7 ? null : `buyer${i}@example.com`,
    tier: TIERS[i % 3] as string,
    amount: i * 1.25,
    joined: `2024-05-${String((i % 28) + 1).padStart(2, "0")}`,
    note: i % 2 === 0 ? `free text ${i}` : null,
  };
});

let dir: string;
let pgDatabase: Awaited<ReturnType<typeof reserveApiTestDatabase>>;
const specs: Record<string, SourceSpec> = {};

const parsed = (yaml: string): Contract => {
  const result = parseContract(yaml, "draft.yaml");
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join("; "));
  return result.contract;
};

const withSource = async <T>(spec: SourceSpec, run: (source: DataSource) => Promise<T>): Promise<T> => {
  const source = await openSource(spec);
  try {
    return await run(source);
  } finally {
    await source.close();
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "covenant-infer-"));

  const sqlite = new Database(join(dir, "shop.db"));
  sqlite.exec(`CREATE TABLE customers (
    id INTEGER PRIMARY KEY, email TEXT, tier VARCHAR(8) NOT NULL, amount REAL, joined DATE, note TEXT)`);
  const insert = sqlite.prepare("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)");
  for (const c of customers) insert.run(c.id, c.email, c.tier, c.amount, c.joined, c.note);
  sqlite.close();
  specs.sqlite = { kind: "sqlite", location: join(dir, "shop.db") };

  const csv = ["id,email,tier,amount,joined,note"]
    .concat(customers.map((c) => [c.id, c.email ?? "", c.tier, c.amount, c.joined, c.note ?? ""].join(",")))
    .join("\n");
  writeFileSync(join(dir, "customers.csv"), `${csv}\n`);
  specs.csv = { kind: "csv", location: join(dir, "customers.csv") };
  writeFileSync(join(dir, "customers.jsonl"), `${customers.map((c) => JSON.stringify(c)).join("\n")}\n`);
  specs.jsonl = { kind: "jsonl", location: join(dir, "customers.jsonl") };
  const duck = await DuckDBInstance.create(":memory:");
  const connection = await duck.connect();
  await connection.run(
    `COPY (SELECT * FROM read_json_auto('${join(dir, "customers.jsonl")}')) TO '${join(dir, "customers.parquet")}' (FORMAT parquet)`,
  );
  connection.closeSync();
  duck.closeSync();
  specs.parquet = { kind: "parquet", location: join(dir, "customers.parquet") };

  pgDatabase = await reserveApiTestDatabase("postgres");
  const client = new pg.Client({ connectionString: pgDatabase.url });
  await client.connect();
  try {
    await client.query(`CREATE TYPE mood AS ENUM ('happy', 'sad');
      CREATE TABLE public.customers (
        id bigint PRIMARY KEY, email text, tier varchar(8) NOT NULL, amount numeric(8,2), joined date,
        note text, mood mood, seen_at timestamptz, profile jsonb, tags text[], external_id uuid NOT NULL)`);
    for (const c of customers) {
      await client.query(
        `INSERT INTO public.customers VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          c.id,
          c.email,
          c.tier,
          c.amount,
          c.joined,
          c.note,
          c.id % 2 === 0 ? "happy" : "sad",
          `2024-05-01T10:${String(c.id % 60).padStart(2, "0")}:00Z`,
          JSON.stringify({ n: c.id }),
          [`t${c.id % 4}`],
          `00000000-0000-4000-8000-${String(c.id).padStart(12, "0")}`,
        ],
      );
    }
  } finally {
    await client.end();
  }
  specs.postgres = { kind: "postgres", location: pgDatabase.url };
}, 60_000);

afterAll(async () => {
  await pgDatabase?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(["sqlite", "postgres", "csv", "jsonl", "parquet"])("inference on %s", (kind) => {
  const table = kind === "sqlite" || kind === "postgres" ? "customers" : undefined;
  const options = table ? { table } : {};

  it("profiles counts, nulls, distinct values, email-like text, lengths and ranges", async () => {
    const { profiles } = await withSource(specs[kind] as SourceSpec, (source) =>
      profileSource(source, options),
    );
    const p = Object.fromEntries(profiles.map((x) => [x.name, x]));
    expect(p.id).toMatchObject({ rows: ROWS, nulls: 0, distinct: ROWS, min: 1, max: ROWS });
    expect(p.email).toMatchObject({
      nulls: 1,
      distinct: ROWS - 1,
      emailLike: ROWS - 1,
      minLength: 18,
      maxLength: 19,
    });
    expect(p.tier).toMatchObject({
      nulls: 0,
      distinct: 3,
      topValues: [
        { value: "free", count: 20 },
        { value: "gold", count: 20 },
        { value: "pro", count: 20 },
      ],
    });
    expect(p.amount).toMatchObject({ min: 1.25, max: 75 });
    expect(p.joined).toMatchObject({ min: "2024-05-01", max: "2024-05-28" });
    // CSV reads an empty field as NULL, like the other sources' NULL.
    expect(p.note).toMatchObject({ nulls: ROWS / 2, distinct: ROWS / 2 });
    expect(p.note?.topValues).toBeUndefined();
  });

  it("drafts a contract with the suggestions, that validates against its own source", async () => {
    const { yaml, result } = await withSource(specs[kind] as SourceSpec, async (source) => {
      const yaml = await inferFromSource(source, { ...options, owner: "@acme/data" });
      return { yaml, result: await validateSource(parsed(yaml), source, options) };
    });
    const contract = parsed(yaml);
    const col = Object.fromEntries(contract.schema.columns.map((c) => [c.name, c]));
    expect(contract.name).toBe("customers");
    expect(col.tier).toMatchObject({ required: true, accepted_values: ["free", "gold", "pro"] });
    expect(col.email).toMatchObject({ required: false, pii: true });
    expect(contract.quality).toContainEqual({
      id: "email_format",
      type: "regex",
      column: "email",
      pattern: EMAIL_PATTERN,
    });
    expect(yaml).toContain(`# Draft inferred by profiling ${ROWS} rows of`);
    expect(result.results.filter((r) => r.status === "failed")).toEqual([]);
    expect(result).toMatchObject({
      passed: true,
      rows_evaluated: ROWS,
      schema: { status: "pass", score: 0 },
    });
  });

  it("profiles a sample of the table", async () => {
    const { profiles } = await withSource(specs[kind] as SourceSpec, (source) =>
      profileSource(source, { ...options, sampleLimit: 12 }),
    );
    expect(profiles.every((p) => p.rows === 12)).toBe(true);
  });
});

describe("inference on PostgreSQL types", () => {
  it("takes enum labels as accepted values, skips distinct counts of json and arrays, marks uuid ids unique", async () => {
    const spec = specs.postgres as SourceSpec;
    const { profile, yaml } = await withSource(spec, async (source) => ({
      profile: await profileSource(source, { table: "customers" }),
      yaml: await inferFromSource(source, { table: "customers" }),
    }));
    const p = Object.fromEntries(profile.profiles.map((x) => [x.name, x]));
    expect(p.profile?.distinct).toBeUndefined();
    expect(p.tags?.distinct).toBeUndefined();
    expect(p.seen_at).toMatchObject({ family: "timestamp", distinct: 60 });
    const contract = parsed(yaml);
    const col = Object.fromEntries(contract.schema.columns.map((c) => [c.name, c]));
    expect(contract.schema.primary_key).toEqual(["id"]);
    expect(col.id).toMatchObject({ type: "bigint", required: true });
    expect(col.id?.unique).toBeUndefined();
    expect(col.mood).toMatchObject({ type: "string", accepted_values: ["happy", "sad"] });
    expect(col.external_id).toMatchObject({ type: "uuid", required: true, unique: true });
    expect(yaml).toContain("accepted_values: [ happy, sad ] # the labels of enum type mood");
  });

  it("profiles the only table when none is named, and says which tables exist when there are several", async () => {
    const only = await withSource(specs.postgres as SourceSpec, (source) => profileSource(source));
    expect(only.table.name).toBe("public.customers");
    const client = new pg.Client({ connectionString: pgDatabase.url });
    await client.connect();
    try {
      await client.query("CREATE TABLE public.audit (id bigint)");
      await expect(
        withSource(specs.postgres as SourceSpec, (source) => profileSource(source)),
      ).rejects.toMatchObject({
        code: "invalid_input",
        message: expect.stringMatching(/no table to profile.*public\.audit, public\.customers/),
      });
    } finally {
      await client.query("DROP TABLE public.audit");
      await client.end();
    }
  });
});
