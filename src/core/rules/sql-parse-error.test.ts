import { describe, expect, it } from "vitest";
import type { Dialect } from "../model/contract-levels.ts";
import { replay } from "../sql/replay.ts";
import type { UnverifiedStatement } from "./rule.ts";
import { ORDERS, runCase, state, table } from "./rule-test-kit.ts";

const AUDIT = table("public.audit", "id int");

/** What replaying a changed migration on top of orders + audit leaves unverified. */
const unverifiedOf = async (sql: string, dialect: Dialect = "postgres"): Promise<UnverifiedStatement[]> => {
  const initial = state(structuredClone(ORDERS), structuredClone(AUDIT));
  const result = await replay({ files: [{ path: "db/0002_change.sql", content: sql }], dialect, initial });
  const history = new Set([...initial.datasets.keys(), ...result.state.datasets.keys()]);
  return result.unverified.map((item) => ({ ...item, dialect, history }));
};

const judge = async (sql: string) => {
  const unverified = await unverifiedOf(sql);
  return runCase({ base: [ORDERS, AUDIT], head: [ORDERS, AUDIT], unverified }).map((v) => [
    v.rule,
    v.severity,
    v.contract,
    `${v.file}:${v.line}`,
  ]);
};

describe("sql-parse-error", () => {
  it.each([
    {
      name: "names the contracted table",
      sql: "ALTER TABLE orders DROP COLUM email;",
      expected: [["sql-parse-error", "error", "orders", "db/0002_change.sql:1"]],
    },
    {
      name: "names it schema-qualified and quoted",
      sql: 'select 1;\nALTER TABLE "public"."orders" DROP COLUM email;',
      expected: [["sql-parse-error", "error", "orders", "db/0002_change.sql:2"]],
    },
    {
      name: "names it in upper case (Postgres folds unquoted names)",
      sql: "ALTER TABLE PUBLIC.ORDERS DRP email;",
      expected: [["sql-parse-error", "error", "orders", "db/0002_change.sql:1"]],
    },
    {
      name: "names no known dataset: may touch every contracted dataset of the history",
      sql: "ALTR TABEL ordrs;",
      expected: [["sql-parse-error", "error", "orders", "db/0002_change.sql:1"]],
    },
    { name: "names only an uncontracted table", sql: "ALTER TABLE audit DROP COLUM id;", expected: [] },
    {
      name: 'a quoted "Orders" is another table in Postgres',
      sql: 'CREATE TABLE "Orders" (id int);\nALTER TABLE "Orders" DRP x;',
      expected: [],
    },
    {
      name: "another schema's orders",
      sql: "CREATE TABLE archive.orders (id int);\nALTER TABLE archive.orders DRP x;",
      expected: [],
    },
    { name: "a statement that parses", sql: "ALTER TABLE orders ADD COLUMN note text;", expected: [] },
    {
      name: "NUL bytes (binary or UTF-16 text): the file is refused, for the contracts it names",
      sql: "SELECT 1;\nA\u0000L\u0000T\u0000E\u0000R TABLE orders DROP COLUMN email;",
      expected: [["sql-parse-error", "error", "orders", "db/0002_change.sql:2"]],
    },
    {
      name: "a column the replayed schema lacks: the model or the migration is wrong",
      sql: "ALTER TABLE orders DROP COLUMN emial;",
      expected: [["sql-parse-error", "error", "orders", "db/0002_change.sql:1"]],
    },
    {
      name: "IF EXISTS on a missing column",
      sql: "ALTER TABLE orders DROP COLUMN IF EXISTS emial;",
      expected: [],
    },
  ])("$name", async ({ sql, expected }) => {
    expect(await judge(sql)).toEqual(expected);
  });

  it("warns about invalid UTF-8 at its line", async () => {
    const result = await replay({
      files: [{ path: "db/2.sql", content: "-- caf\uFFFD\nALTER TABLE orders ADD COLUMN x int;" }],
      dialect: "postgres",
      initial: state(structuredClone(ORDERS)),
    });
    expect(result.findings.map((f) => [f.rule, f.severity, f.line])).toEqual([
      ["sql-parse-error", "warning", 1],
    ]);
  });

  it("says why, with the parser's message", async () => {
    const unverified = await unverifiedOf("ALTR TABEL ordrs;");
    const [v] = runCase({ base: [ORDERS], head: [ORDERS], unverified });
    expect(v?.message).toMatch(/syntax error at or near "ALTR".*names no dataset Covenant recognises/);
  });

  it.each(["ALTER TABLE `ORDERS` MODIFY COLUMN;", "ALTER TABLE Orders DROP COLUM email;"])(
    "folds MySQL names case-insensitively: %s",
    async (sql) => {
      const mysqlOrders = { ...ORDERS, name: "orders" };
      const contract = [
        "name: orders",
        "version: 1.0.0",
        "status: active",
        'owner: "@a"',
        "enforcement: BLOCK",
        "dataset: { type: table, name: orders }",
        "schema: { columns: [{ name: id, type: bigint }] }",
      ].join("\n");
      const initial = state(structuredClone(mysqlOrders));
      const result = await replay({
        files: [{ path: "db/2.sql", content: sql }],
        dialect: "mysql",
        initial,
      });
      const unverified = result.unverified.map((u) => ({
        ...u,
        dialect: "mysql" as const,
        history: new Set(["orders"]),
      }));
      expect(unverified).toHaveLength(1);
      const violations = runCase({
        base: [mysqlOrders],
        head: [mysqlOrders],
        contracts: [contract],
        unverified,
      });
      expect(violations.map((v) => v.rule)).toEqual(["sql-parse-error"]);
    },
  );
});
