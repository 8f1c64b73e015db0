import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckJson, shopRepo } from "./shop-repo.ts";

/**
 * Text too large to parse is refused up front and fails closed for the contracts it may touch;
 * whatever stops the check prints an error in the requested format and exits 2. Output and exit
 * code never disagree.
 */
const M = "db/migrations";
let shop: ReturnType<typeof shopRepo>;
beforeAll(() => {
  shop = shopRepo();
});
afterAll(() => shop.remove());

describe("limits and errors (covenant check)", { timeout: 300_000 }, () => {
  it("refuses a statement over the parser's limit: a violation of the contract it names, not success", async () => {
    const columns = Array.from({ length: 80_000 }, (_, i) => `ADD COLUMN filler_${i} integer`);
    const head = shop.pr({ [`${M}/0006_huge.up.sql`]: `ALTER TABLE orders ${columns.join(",\n  ")};\n` });
    const { code, stdout } = await shop.check(head);
    const json = JSON.parse(stdout) as CheckJson;
    expect(json.violations.map((v) => [v.rule, v.contract, v.file, v.line])).toEqual([
      ["sql-parse-error", "orders", `${M}/0006_huge.up.sql`, 1],
    ]);
    expect(json.violations[0]?.message).toMatch(/over the 1\.0 MiB Covenant parses/);
    expect(json.conclusion).toBe("failure");
    expect(code).toBe(1);
  });

  it("refuses a file of too many statements, for every contract it may touch", async () => {
    const tables = Array.from({ length: 60_000 }, (_, i) => `CREATE TABLE t${i} (id int);`);
    const head = shop.pr({ [`${M}/0006_many.up.sql`]: `${tables.join("\n")}\n` });
    const { code, stdout } = await shop.check(head);
    const json = JSON.parse(stdout) as CheckJson;
    expect(json.violations.map((v) => [v.rule, v.contract]).sort()).toEqual([
      ["sql-parse-error", "customers"],
      ["sql-parse-error", "orders"],
    ]);
    expect(json.violations[0]?.message).toContain("60000 statements, over the 50000");
    expect(code).toBe(1);
  });

  it.each([
    [
      "json",
      (out: string) =>
        expect(JSON.parse(out)).toMatchObject({ conclusion: "error", error: { code: "invalid_input" } }),
    ],
    [
      "sarif",
      (out: string) => expect(JSON.parse(out).runs[0].invocations[0].executionSuccessful).toBe(false),
    ],
    ["github", (out: string) => expect(out).toMatch(/^::error title=covenant::.*unknown revision/)],
  ])(
    "prints an error in the requested format (%s) and exits 2 when the check cannot run",
    async (format, expectOutput) => {
      const { code, stdout } = await shop.check("no-such-branch", format);
      expectOutput(stdout);
      expect(code).toBe(2);
    },
  );
});
