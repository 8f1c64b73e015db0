import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckJson, shopRepo } from "./shop-repo.ts";

/**
 * Schema changes made through code (DO blocks, EXECUTE, functions) drop columns in PostgreSQL
 * as surely as plain DDL: Covenant follows what it can and fails closed on the rest.
 */
const M = "db/migrations";
let shop: ReturnType<typeof shopRepo>;
beforeAll(() => {
  shop = shopRepo();
});
afterAll(() => shop.remove());

const check = async (sql: string) => {
  const head = shop.pr({ [`${M}/0006_dynamic.up.sql`]: sql });
  const { code, stdout } = await shop.check(head);
  const json = JSON.parse(stdout) as CheckJson;
  return { code, json, found: json.violations.map((v) => `${v.rule} ${v.contract} :${v.line}`) };
};

describe("dynamic SQL in a migration (covenant check)", { timeout: 120_000 }, () => {
  it("follows a literal EXECUTE in a DO block: the dropped column is a violation", async () => {
    const { code, json } = await check(
      "DO $$ BEGIN EXECUTE 'ALTER TABLE orders DROP COLUMN currency'; END $$;\n",
    );
    expect(code).toBe(1);
    expect(json.violations.map((v) => [v.rule, v.contract, v.line])).toContainEqual([
      "column-removed",
      "orders",
      1,
    ]);
  });

  it("fails closed on a function that alters the table, called by SELECT f()", async () => {
    const { code, found, json } = await check(
      "CREATE FUNCTION drop_currency() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  EXECUTE 'ALTER TABLE ' || 'orders' || ' DROP COLUMN currency';\nEND $$;\n\nSELECT drop_currency();\n",
    );
    expect(found).toEqual(["unverifiable-change orders :6"]);
    expect(json.violations[0]?.message).toContain(
      "drop_currency() is defined by a migration and may change schemas",
    );
    expect(json.conclusion).toBe("failure");
    expect(code).toBe(1);
  });

  it("does not flag built-in calls of a pg_dump preamble", async () => {
    const { code, found } = await check(
      "SELECT pg_catalog.set_config('search_path', '', false);\nSELECT setval('orders_id_seq', 42, true);\nSELECT now();\n",
    );
    expect(found).toEqual([]);
    expect(code).toBe(0);
  });
});
