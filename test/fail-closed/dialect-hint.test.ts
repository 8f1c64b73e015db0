import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckJson, runCovenant, shopRepo } from "./shop-repo.ts";

/** A wrong dialect must not pass in silence: Covenant says so and names the dialect that reads. */
const SHOP_MIGRATIONS = resolve(import.meta.dirname, "../../examples/shop/db/migrations");
let shop: ReturnType<typeof shopRepo>;
beforeAll(() => {
  shop = shopRepo();
});
afterAll(() => shop.remove());

describe("a wrong dialect", { timeout: 120_000 }, () => {
  it("schema --dialect mysql on PostgreSQL files says the dialect looks wrong and which one reads", async () => {
    const { code, stdout } = await runCovenant([
      "schema",
      "--dialect",
      "mysql",
      SHOP_MIGRATIONS,
      "--format",
      "json",
    ]);
    expect(code).toBe(0);
    const findings = (JSON.parse(stdout) as CheckJson).findings.filter(
      (f) => f.rule === "sql-dialect-mismatch",
    );
    expect(findings.length).toBeGreaterThan(0);
    expect(findings[0]?.message).toMatch(
      /do not read as MySQL: the dialect looks wrong; they read as PostgreSQL/,
    );
    expect(findings[0]?.message).toContain("dialect: postgres");
  });

  it("schema --dialect postgres on a MySQL file names MySQL", async () => {
    const file = resolve(shop.dir, "mysql.sql");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      file,
      "CREATE TABLE `t` (`id` int unsigned NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`)) ENGINE=InnoDB;\nCREATE TABLE `u` (`id` int NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n",
    );
    const { stdout } = await runCovenant(["schema", "--dialect", "postgres", file, "--format", "text"]);
    expect(stdout).toMatch(
      /sql-dialect-mismatch .*2 of 2 statements .* do not read as PostgreSQL: the dialect looks wrong; they read as MySQL/,
    );
  });

  it("check says it too, for a changed migration of a history configured as MySQL", async () => {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      resolve(shop.dir, "mysql-config.yml"),
      'contracts: ["contracts/**/*.yaml"]\nmigrations:\n  - { path: db/migrations, dialect: mysql }\n',
    );
    const head = shop.pr({
      "db/migrations/0006_add_note.up.sql":
        "ALTER TABLE orders ADD COLUMN note text, ADD COLUMN created timestamptz;\n",
    });
    const { stdout } = await runCovenant([
      "check",
      "--repo",
      shop.dir,
      "--base",
      `${head}~1`,
      "--head",
      head,
      "--format",
      "json",
      "--config",
      resolve(shop.dir, "mysql-config.yml"),
    ]);
    const json = JSON.parse(stdout) as CheckJson;
    expect(json.findings.map((f) => [f.rule, f.file])).toContainEqual([
      "sql-dialect-mismatch",
      "db/migrations/0006_add_note.up.sql",
    ]);
  });
});
