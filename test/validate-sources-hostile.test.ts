import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Contract, parseContract } from "../src/core/model/contract.ts";
import { detectSourceKind, openSource, redactLocation } from "../src/sources/open-source.ts";
import type { DataSource, SourceKind } from "../src/sources/types.ts";
import { validateSource } from "../src/sources/validate-source.ts";
import { createPgDatabase, type TestPgDatabase } from "./helpers/pg-database.ts";
import {
  DIRTY_ROWS,
  NOW,
  parseOrThrow,
  withUncheckedQuality,
  writeCsv,
  writeParquet,
  writePgOrders,
  writeSqlite,
} from "./helpers/validation-data.ts";

let dir: string;
let pgDb: TestPgDatabase;
let sqlitePath: string;
let csvPath: string;
let parquetPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "covenant-hostile-"));
  sqlitePath = join(dir, "shop.db");
  writeSqlite(sqlitePath, DIRTY_ROWS);
  csvPath = join(dir, "orders.csv");
  writeCsv(csvPath, DIRTY_ROWS);
  parquetPath = join(dir, "orders.parquet");
  await writeParquet(parquetPath, DIRTY_ROWS, dir);
  pgDb = await createPgDatabase("covenant_hostile");
  await writePgOrders(pgDb, DIRTY_ROWS);
});

afterAll(async () => {
  await pgDb?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const contractText = (quality: string, extra = "") => `name: orders
version: 1.0.0
owner: "@acme/data-platform"
dataset: { name: orders }
schema:
  columns:
    - { name: id, type: integer, required: true }
    - { name: status, type: string${extra} }
    - { name: amount, type: integer }
quality:
${quality}
`;

/**
 * The parser refuses every hostile rule below (see the test at the end); these contracts skip it, as
 * one stored before a guard existed would, to show the runner refuses them on its own too.
 */
const contractWith = (quality: string, extra = ""): Contract =>
  withUncheckedQuality(parseOrThrow(contractText("  []", extra)), quality);

/** The source, with every SQL text it is sent recorded. */
const recorded = async (kind: SourceKind, location: string) => {
  const inner = await openSource({ kind, location });
  const sent: string[] = [];
  const source: DataSource = {
    ...inner,
    query: (sql, params, options) => {
      sent.push(sql);
      return inner.query(sql, params, options);
    },
  };
  return { source, sent, close: () => inner.close() };
};

const SOURCES: Array<[SourceKind, () => string]> = [
  ["sqlite", () => sqlitePath],
  ["postgres", () => pgDb.url],
  ["csv", () => csvPath],
  ["parquet", () => parquetPath],
];

const rowCount = async (kind: SourceKind): Promise<number> => {
  if (kind === "postgres") return Number((await pgDb.query("SELECT count(*) AS n FROM orders"))[0]?.n);
  if (kind === "sqlite") {
    const db = new Database(sqlitePath, { readonly: true });
    try {
      return Number((db.prepare("SELECT count(*) AS n FROM orders").get() as { n: number }).n);
    } finally {
      db.close();
    }
  }
  return 12;
};

/** A self-join of the 12 rows so large that no engine finishes it within the test's timeouts. */
const HEAVY = `SELECT count(*) FROM ${Array.from({ length: 12 }, (_, i) => `orders o${i}`).join(", ")}`;

describe.each(SOURCES)("hostile rules on %s", (kind, location) => {
  it("refuses SQL injection in a rule before sending anything, and the table stays intact", async () => {
    const attempts = [
      `  - { id: sneaky_expression, type: sql, expression: "amount > 0; DROP TABLE orders" }`,
      `  - { id: sneaky_query, type: sql, query: "SELECT count(*) FROM orders; DELETE FROM orders" }`,
    ];
    for (const attempt of attempts) {
      const { source, sent, close } = await recorded(kind, location());
      try {
        const error = await validateSource(contractWith(attempt), source, { now: NOW }).catch((e) => e);
        const id = /id: (\w+)/.exec(attempt)?.[1] ?? "";
        expect(error).toMatchObject({ code: "invalid_input", message: expect.stringContaining(`"${id}"`) });
        expect(error.message).toContain("refused before running");
        expect(sent).toEqual([]);
      } finally {
        await close();
      }
    }
    expect(await rowCount(kind)).toBe(12);
  });

  it("cannot write through a rule's query or the source's query(): the connection is read-only", async () => {
    const { source, close } = await recorded(kind, location());
    const write =
      kind === "postgres" || kind === "sqlite"
        ? "DELETE FROM orders RETURNING id"
        : `COPY orders TO '${join(dir, "stolen.csv")}'`;
    try {
      await expect(source.query(write, [], { timeoutMs: 5_000 })).rejects.toMatchObject({
        code: expect.stringMatching(/^(unprocessable|invalid_input)$/),
      });
      const viaRule = await validateSource(
        contractWith(`  - { id: writer, type: sql, query: ${JSON.stringify(write)} }`),
        source,
        { now: NOW },
      ).catch((e) => e);
      expect(viaRule.code).toMatch(/^(unprocessable|invalid_input)$/);
      expect(viaRule.message).toContain("writer");
    } finally {
      await close();
    }
    expect(await rowCount(kind)).toBe(12);
  });

  it("binds accepted values as data: a quote in a value is just a value", async () => {
    const contract = contractWith(
      `  - { id: statuses, type: accepted_values, column: status, values: ["new", "paid", "shipped", "x' OR '1'='1"] }`,
    );
    const { source, close } = await recorded(kind, location());
    try {
      const result = await validateSource(contract, source, { now: NOW });
      expect(result.results.find((r) => r.rule_id === "statuses")).toMatchObject({
        failed_rows: 1,
        sample_values: ["lost"],
      });
    } finally {
      await close();
    }
  });

  it("never interpolates a table name: an injected one is just a table that does not exist", async () => {
    const { source, close } = await recorded(kind, location());
    try {
      const table =
        kind === "postgres" || kind === "sqlite" ? 'orders"; DROP TABLE orders; --' : "orders; DROP";
      await expect(validateSource(contractWith(`  []`), source, { table })).rejects.toMatchObject({
        code: "invalid_input",
        message: expect.stringContaining("is not in"),
      });
    } finally {
      await close();
    }
    expect(await rowCount(kind)).toBe(12);
  });

  it("refuses a regular expression RE2 cannot run (a backreference) before running, naming the rule", async () => {
    const { source, sent, close } = await recorded(kind, location());
    try {
      const error = await validateSource(
        contractWith(`  - { id: evil_regex, type: regex, column: status, pattern: '^(a)\\1$' }`),
        source,
      ).catch((e) => e);
      expect(error).toMatchObject({
        code: "invalid_input",
        message: expect.stringContaining('"evil_regex"'),
      });
      expect(sent).toEqual([]);
    } finally {
      await close();
    }
  });

  it("leaves a sql rule reading an unknown column not evaluated, naming the column, and runs the rest", async () => {
    const { source, close } = await recorded(kind, location());
    try {
      const result = await validateSource(
        contractWith(`  - { id: ghost_column, type: sql, expression: "no_such_column > 0" }
  - { id: ghost_query, type: sql, query: "SELECT count(*) FROM orders WHERE ghost_count > 0" }
  - { id: statuses, type: accepted_values, column: status, values: [new, paid, shipped] }`),
        source,
        { now: NOW },
      );
      const byId = new Map(result.results.map((r) => [r.rule_id, r]));
      expect(byId.get("ghost_column")).toMatchObject({
        status: "not_evaluated",
        reason: expect.stringMatching(/reads column no_such_column, which .*orders does not have/),
      });
      expect(byId.get("ghost_query")).toMatchObject({
        status: "not_evaluated",
        reason: expect.stringMatching(/reads column ghost_count, which .*orders does not have/),
      });
      expect(byId.get("statuses")).toMatchObject({ status: "failed", failed_rows: 1 });
    } finally {
      await close();
    }
  });

  it("refuses a rule whose cost has no bound before sending anything", async () => {
    const { source, sent, close } = await recorded(kind, location());
    try {
      const error = await validateSource(
        contractWith(`  - { id: heavy, type: sql, query: "${HEAVY}" }`),
        source,
        { timeoutMs: 1_500, now: NOW },
      ).catch((e) => e);
      expect(error).toMatchObject({
        code: "invalid_input",
        message: expect.stringMatching(/several tables in one FROM/),
      });
      expect(sent.some((sql: string) => sql.includes("o11"))).toBe(false);
    } finally {
      await close();
    }
  });

  it("stops a query that runs past the timeout with a timeout error, and keeps working", async () => {
    const { source, close } = await recorded(kind, location());
    try {
      const error = await source.query(HEAVY, [], { timeoutMs: 1_500 }).catch((e) => e);
      expect(error).toMatchObject({ code: "timeout" });
      expect(await source.query("SELECT count(*) AS n FROM orders", [], { timeoutMs: 10_000 })).toEqual([
        { n: 12 },
      ]);
    } finally {
      await close();
    }
  });

  it("aborts a running query, without blocking the event loop, and keeps working", async () => {
    const { source, close } = await recorded(kind, location());
    try {
      const controller = new AbortController();
      let settled = false;
      const running = source
        .query(HEAVY, [], { timeoutMs: 60_000, signal: controller.signal })
        .finally(() => {
          settled = true;
        })
        .catch((e) => e);
      // A timer fires while the query runs: the engine does not hold the main thread.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      controller.abort();
      const error = await running;
      expect(error.name).toBe("AbortError");
      expect(await source.query("SELECT count(*) AS n FROM orders", [], { timeoutMs: 10_000 })).toEqual([
        { n: 12 },
      ]);
      await expect(
        source.query("SELECT 1 AS one", [], { timeoutMs: 1_000, signal: AbortSignal.abort() }),
      ).rejects.toMatchObject({ name: "AbortError" });
    } finally {
      await close();
    }
  });
});

describe("PostgreSQL system catalogs are not data", () => {
  it.each(["pg_catalog.pg_authid", "information_schema.tables", "pg_catalog.pg_class"])(
    "refuses to validate %s, and never lists it",
    async (table) => {
      const { source, close } = await recorded("postgres", pgDb.url);
      try {
        await expect(validateSource(contractWith("  []"), source, { table })).rejects.toMatchObject({
          code: "invalid_input",
        });
        expect(await source.listTables()).toEqual(["public.orders"]);
      } finally {
        await close();
      }
    },
  );
});

describe("files are read through a locked-down DuckDB", () => {
  it("cannot read any other file, nor unlock the configuration", async () => {
    for (const location of [csvPath, parquetPath]) {
      const kind = detectSourceKind(location);
      const { source, close } = await recorded(kind, location);
      try {
        for (const sql of [
          "SELECT * FROM read_csv('/etc/passwd')",
          `SELECT * FROM read_csv('${sqlitePath}')`,
          "SELECT * FROM glob('/etc/*')",
          "SET enable_external_access = true",
          "SET lock_configuration = false",
        ]) {
          await expect(source.query(sql, [], { timeoutMs: 5_000 }), sql).rejects.toMatchObject({
            code: "unprocessable",
          });
        }
        const viaRule = await validateSource(
          contractWith(
            `  - { id: passwd, type: sql, query: "SELECT count(*) FROM read_csv('/etc/passwd')" }`,
          ),
          source,
        ).catch((e) => e);
        expect(viaRule.code).toMatch(/^(unprocessable|invalid_input)$/);
        expect(viaRule.message).toContain("passwd");
        expect(await source.query("SELECT count(*) AS n FROM orders", [], { timeoutMs: 5_000 })).toEqual([
          { n: 12 },
        ]);
      } finally {
        await close();
      }
    }
  });
});

describe("bad locations fail with a clear error", () => {
  let bad: string;
  beforeAll(() => {
    bad = join(dir, "bad");
    mkdirSync(bad);
    writeFileSync(join(bad, "junk.csv"), Buffer.concat([Buffer.from("id,name\n"), randomBytes(2048)]));
    writeFileSync(join(bad, "junk.jsonl"), randomBytes(2048));
    writeFileSync(join(bad, "text.parquet"), "id,name\n1,a\n");
    writeFileSync(join(bad, "text.sqlite"), "id,name\n1,a\n");
    writeFileSync(join(bad, "empty.csv"), "");
    copyFileSync(sqlitePath, join(bad, "database-without-extension"));
    copyFileSync(parquetPath, join(bad, "parquet-without-extension"));
    writeFileSync(join(bad, "mystery"), "hello");
  });

  it.each([
    ["junk.csv", "csv", /junk\.csv is not CSV text: it holds binary data/],
    ["junk.jsonl", "jsonl", /junk\.jsonl is not JSON lines text/],
    ["text.parquet", "parquet", /text\.parquet is not a Parquet file/],
    ["text.sqlite", "sqlite", /text\.sqlite is not a SQLite database/],
    ["empty.csv", "csv", /empty\.csv is empty/],
    ["missing.csv", "csv", /missing\.csv does not exist/],
    ["missing.db", "sqlite", /missing\.db does not exist/],
  ] as const)("%s as %s", async (file, kind, message) => {
    await expect(openSource({ kind, location: join(bad, file) })).rejects.toMatchObject({
      code: "invalid_input",
      message: expect.stringMatching(message),
    });
  });

  it("detects the kind by URL, extension, then signature", () => {
    expect(detectSourceKind("postgresql://u:p@h/db")).toBe("postgres");
    expect(detectSourceKind("postgres://h/db")).toBe("postgres");
    expect(detectSourceKind("a/b.SQLITE3")).toBe("sqlite");
    expect(detectSourceKind("x.tsv")).toBe("csv");
    expect(detectSourceKind("x.ndjson")).toBe("jsonl");
    expect(detectSourceKind("x.parquet")).toBe("parquet");
    expect(detectSourceKind(join(bad, "database-without-extension"))).toBe("sqlite");
    expect(detectSourceKind(join(bad, "parquet-without-extension"))).toBe("parquet");
    expect(() => detectSourceKind(join(bad, "mystery"))).toThrow(
      /cannot tell what kind of data .*mystery.*postgresql:\/\//,
    );
    expect(() => detectSourceKind("mysql://root:pw@h/db")).toThrow(
      /mysql:\/\/root:\*\*\*@h\/db is not a supported source/,
    );
  });

  it("masks passwords in locations", () => {
    expect(redactLocation("postgresql://app:s3cr%40t@db:5432/shop")).toBe(
      "postgresql://app:***@db:5432/shop",
    );
    expect(redactLocation("postgres://db/shop?user=a&password=hunter2")).toBe(
      "postgres://db/shop?user=a&password=***",
    );
    expect(redactLocation("postgresql://app@db/shop")).toBe("postgresql://app@db/shop");
    expect(redactLocation("/data/shop.db")).toBe("/data/shop.db");
  });

  it("reports an unreachable or unknown PostgreSQL as source_unavailable, without the password", async () => {
    const refused = "postgresql://postgres:hunter2@127.0.0.1:1/postgres";
    const error = await openSource({ kind: "postgres", location: refused }).catch((e) => e);
    expect(error).toMatchObject({ code: "source_unavailable" });
    expect(error.message).toContain("postgresql://postgres:***@127.0.0.1:1/postgres");
    expect(error.message).toContain("check the host and port");
    expect(error.message).not.toContain("hunter2");

    const url = new URL(pgDb.urlWithPassword("hunter2"));
    url.pathname = "/covenant_no_such_database";
    const missing = await openSource({ kind: "postgres", location: url.toString() }).catch((e) => e);
    expect(missing).toMatchObject({ code: "source_unavailable" });
    expect(missing.message).toContain("check the database name");
    expect(missing.message).not.toContain("hunter2");
  });

  it("never shows the password in a source's label", async () => {
    const source = await openSource({ kind: "postgres", location: pgDb.urlWithPassword("hunter2") });
    try {
      expect(source.label).not.toContain("hunter2");
      expect(source.label).toContain(":***@");
      const result = await validateSource(contractWith(`  []`), source, { now: NOW });
      expect(JSON.stringify(result)).not.toContain("hunter2");
    } finally {
      await source.close();
    }
  });

  it("refuses a query rule that does not return one count", async () => {
    const source = await openSource({ kind: "sqlite", location: sqlitePath });
    try {
      await expect(
        validateSource(
          contractWith(`  - { id: many_rows, type: sql, query: "SELECT id FROM orders" }`),
          source,
        ),
      ).rejects.toMatchObject({ code: "unprocessable", message: expect.stringContaining("many_rows") });
    } finally {
      await source.close();
    }
  });
});

describe("the contract parser is the first guard", () => {
  it.each([
    `  - { id: sneaky_expression, type: sql, expression: "amount > 0; DROP TABLE orders" }`,
    `  - { id: sneaky_query, type: sql, query: "SELECT count(*) FROM orders; DELETE FROM orders" }`,
    `  - { id: writer, type: sql, query: "DELETE FROM orders RETURNING id" }`,
    `  - { id: passwd, type: sql, query: "SELECT count(*) FROM read_csv('/etc/passwd')" }`,
    `  - { id: evil_regex, type: regex, column: status, pattern: '^(a)\\1$' }`,
  ])("refuses %s at its line", (rule) => {
    const parsed = parseContract(contractText(rule), "orders.yaml");
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.map((e) => [e.file, e.line])).toContainEqual(["orders.yaml", 11]);
  });
});
