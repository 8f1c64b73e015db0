import { describe, expect, it } from "vitest";
import type { Dialect } from "../model/contract-levels.ts";
import { replay } from "../sql/replay.ts";
import { ORDERS, runCase, state, table } from "./rule-test-kit.ts";

const AUDIT = table("public.audit", "id int");

/** Violations of the orders contract (BLOCK) when a changed migration runs `sql` on orders + audit. */
const judge = async (sql: string, dialect: Dialect = "postgres") => {
  const orders = dialect === "postgres" ? ORDERS : { ...ORDERS, name: "orders" };
  const audit = dialect === "postgres" ? AUDIT : { ...AUDIT, name: "audit" };
  const initial = state(structuredClone(orders), structuredClone(audit));
  const result = await replay({ files: [{ path: "db/0002_change.sql", content: sql }], dialect, initial });
  const history = new Set([...initial.datasets.keys(), ...result.state.datasets.keys()]);
  const unverified = result.unverified.map((item) => ({ ...item, dialect, history }));
  const violations = runCase({
    base: [orders, audit],
    head: [...result.state.datasets.values()],
    events: result.events,
    unverified,
  }).map((v) => `${v.rule}${v.column ? ` ${v.column}` : ""} @${v.line}`);
  return { violations, findings: result.findings.map((f) => `${f.rule} ${f.severity} @${f.line}`) };
};

describe("unverifiable-change", () => {
  it.each([
    {
      name: "a literal EXECUTE in a DO block is replayed",
      sql: "DO $$ BEGIN EXECUTE 'ALTER TABLE orders DROP COLUMN email'; END $$;",
      violations: ["column-removed email @1"],
    },
    {
      name: "EXECUTE format('…') without arguments is replayed",
      sql: "DO $$\nBEGIN\n  EXECUTE format('ALTER TABLE orders DROP COLUMN status');\nEND $$;",
      violations: ["column-removed status @3"],
    },
    {
      name: "plain DDL inside a DO block is replayed",
      sql: "DO $$ BEGIN IF true THEN ALTER TABLE orders DROP COLUMN email; END IF; END $$;",
      violations: ["column-removed email @1"],
    },
    {
      name: "EXECUTE of a computed string naming the table",
      sql: "DO $$ BEGIN EXECUTE format('ALTER TABLE %I DROP COLUMN email', 'orders'); END $$;",
      violations: ["unverifiable-change @1"],
    },
    {
      name: "a function that alters the table, then SELECT f()",
      sql: "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN ALTER TABLE orders DROP COLUMN email; END $$;\nSELECT f();",
      violations: ["unverifiable-change @2"],
    },
    {
      name: "a procedure called with the table's name",
      sql: "CALL archive_table('orders');",
      violations: ["unverifiable-change @1"],
    },
    {
      name: "COPY … PROGRAM into the table",
      sql: "COPY orders FROM PROGRAM 'curl https://example.com/orders.csv';",
      violations: ["unverifiable-change @1"],
    },
    {
      name: "a trigger whose function alters the table",
      sql: "CREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'ALTER TABLE orders DROP COLUMN ' || 'email'; RETURN NEW; END $$;\nCREATE TRIGGER t AFTER INSERT ON audit FOR EACH ROW EXECUTE FUNCTION g();",
      violations: ["unverifiable-change @2"],
    },
    {
      name: "dynamic code on an uncontracted table only",
      sql: "DO $$ BEGIN EXECUTE 'ALTER TABLE ' || 'audit' || ' ADD COLUMN x int'; END $$;",
      violations: [],
    },
    {
      name: "built-ins and pg_dump preambles",
      sql: "SELECT pg_catalog.set_config('search_path', '', false);\nSELECT setval('orders_id_seq', 1, true);\nSELECT now();\nSELECT count(*) FROM orders;",
      violations: [],
    },
    {
      name: "a function that only reads, then SELECT f()",
      sql: "CREATE FUNCTION n() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM orders $$;\nSELECT n();",
      violations: [],
    },
    {
      name: "COPY FROM stdin only loads data",
      sql: "COPY orders (id, status) FROM stdin;\n1\tnew\n\\.\n",
      violations: [],
    },
  ])("$name", async ({ sql, violations }) => {
    expect((await judge(sql)).violations).toEqual(violations);
  });

  it("reports dynamic code on uncontracted tables as an informational finding", async () => {
    const { findings } = await judge("DO $$ BEGIN EXECUTE 'ALTER TABLE ' || 'audit'; END $$;");
    expect(findings).toEqual(["unverifiable-change info @1"]);
  });

  it.each([
    [
      "SET @s = 'ALTER TABLE orders DROP COLUMN email';\nPREPARE st FROM @s;\nEXECUTE st;",
      ["unverifiable-change @2"],
    ],
    [
      "CREATE PROCEDURE p() BEGIN ALTER TABLE orders DROP COLUMN email; END;\nCALL p();",
      ["unverifiable-change @2"],
    ],
    ["CREATE PROCEDURE q() BEGIN SELECT count(*) FROM orders; END;\nCALL q();", []],
  ])("MySQL: %s", async (sql, violations) => {
    expect((await judge(sql, "mysql")).violations).toEqual(violations);
  });
});
