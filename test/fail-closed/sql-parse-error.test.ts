import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckJson, shopRepo } from "./shop-repo.ts";

/**
 * A migration statement Covenant cannot parse cannot be verified: where it names a contracted
 * dataset, or no dataset Covenant recognises, it is a violation of the contracts it may touch
 * (fail closed); elsewhere it stays a warning. Through the real CLI on a real repository.
 */
const M = "db/migrations";
let shop: ReturnType<typeof shopRepo>;
beforeAll(() => {
  shop = shopRepo();
});
afterAll(() => shop.remove());

describe("unparseable migrations (covenant check)", { timeout: 120_000 }, () => {
  it("fails a BLOCK contract whose table an unparseable statement names, with the parser's message at file:line", async () => {
    const head = shop.pr({
      [`${M}/0006_drop_currency.up.sql`]: "-- typo\nALTER TABLE orders DROP COLUM currency;\n",
    });
    const { code, stdout } = await shop.check(head);
    const json = JSON.parse(stdout) as CheckJson;
    expect(json.conclusion).toBe("failure");
    expect(code).toBe(1);
    expect(json.violations).toHaveLength(1);
    const [v] = json.violations;
    expect(v).toMatchObject({
      rule: "sql-parse-error",
      severity: "error",
      contract: "orders",
      enforcement: "BLOCK",
      dataset: "public.orders",
      file: `${M}/0006_drop_currency.up.sql`,
      line: 2,
    });
    expect(v?.message).toContain('syntax error at or near "currency"');
    expect(json.findings).toEqual([]);

    const text = await shop.check(head, "text");
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`${M}/0006_drop_currency.up.sql:2`);
    expect(text.stdout).toMatch(/failure: .* — 1 error, 0 warnings, /);
  });

  it("matches quoted, schema-qualified and upper-case spellings of the contracted table", async () => {
    const head = shop.pr({
      [`${M}/0006_x.up.sql`]:
        'ALTER TABLE "public"."orders" DROP COLUM currency;\nALTER TABLE PUBLIC.ORDERS DRP x;\n',
    });
    const json = JSON.parse((await shop.check(head)).stdout) as CheckJson;
    expect(json.violations.map((v) => [v.rule, v.contract, v.line])).toEqual([
      ["sql-parse-error", "orders", 1],
      ["sql-parse-error", "orders", 2],
    ]);
  });

  it("fails every contract of the history when the statement names no dataset Covenant knows", async () => {
    const head = shop.pr({ [`${M}/0006_garbage.up.sql`]: "ALTR TABEL ordrs DROP currency;\n" });
    const { code, stdout } = await shop.check(head);
    const json = JSON.parse(stdout) as CheckJson;
    expect(code).toBe(1);
    expect(json.violations.map((v) => [v.rule, v.contract, v.enforcement]).sort()).toEqual([
      ["sql-parse-error", "customers", "NOTIFY"],
      ["sql-parse-error", "orders", "BLOCK"],
    ]);
    expect(json.violations[0]?.message).toContain("names no dataset Covenant recognises");
  });

  it("keeps a warning, counted in the summary, when the statement names only an uncontracted table", async () => {
    const head = shop.pr({
      [`${M}/0006_notes.up.sql`]: "CREATE TABLE notes (id int);\nALTER TABLE notes DROP COLUM id;\n",
    });
    const { code, stdout } = await shop.check(head);
    const json = JSON.parse(stdout) as CheckJson;
    expect(code).toBe(0);
    expect(json.violations).toEqual([]);
    expect(json.findings).toMatchObject([{ rule: "sql-parse-error", severity: "warning", line: 2 }]);
    const text = await shop.check(head, "text");
    expect(text.stdout).toContain("warning sql-parse-error");
    expect(text.stdout).toMatch(/success: .* — 0 errors, 1 warning, /);
  });
});
