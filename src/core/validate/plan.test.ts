import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { type Contract, parseContract, type QualityRule } from "../model/contract.ts";
import type { ObservedTable } from "./conform.ts";
import { checkResult, guardContractRules, type PlanDialect, parseTimestamp, planValidation } from "./plan.ts";

const contract = (body: string): Contract => {
  const parsed = parseContract(`name: orders
version: 1.0.0
owner: "@acme/data"
dataset: { name: orders }
${body}`);
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join("\n"));
  return parsed.contract;
};

const TABLE: ObservedTable = {
  name: "public.orders",
  columns: [
    { name: "id", type: "bigint", nullable: false },
    { name: 'we"ird', type: "text", nullable: true },
    { name: "status", type: "text", nullable: true },
    { name: "amount", type: "integer", nullable: true },
    { name: "updated_at", type: "timestamptz", nullable: true },
  ],
  primaryKey: ["id"],
};

const NOW = new Date("2024-05-01T12:00:00Z");
const plan = (c: Contract, dialect: PlanDialect, sampleLimit?: number) =>
  planValidation(c, {
    dialect,
    table: TABLE,
    tableRef: '"public"."orders"',
    now: NOW,
    ...(sampleLimit ? { sampleLimit } : {}),
  });

const COLUMNS = `schema:
  columns:
    - { name: id, type: integer, required: true }
    - { name: 'we"ird', type: string }
    - { name: status, type: string, accepted_values: [new, "it's"] }
    - { name: amount, type: integer }
    - { name: updated_at, type: timestamp }
`;

describe("planValidation", () => {
  it.each([
    ["postgres", '(CAST("we""ird" AS text) ~ $3)'],
    ["duckdb", 'regexp_matches(CAST("we""ird" AS VARCHAR), $3)'],
    ["sqlite", '(CAST("we""ird" AS TEXT) REGEXP ?)'],
  ] as const)("compiles a regex for %s with the pattern bound, identifiers quoted", (dialect, fragment) => {
    const p = plan(
      contract(`${COLUMNS}quality:\n  - { id: r, type: regex, column: 'we"ird', pattern: "^a'b$" }\n`),
      dialect,
    );
    expect(p.scan.sql).toContain(fragment);
    expect(p.scan.sql).not.toContain("a'b");
    expect(p.scan.params).toContain("^a'b$");
    expect(p.scan.sql).toMatch(/^SELECT count\(\*\) AS n, .* FROM "public"."orders" AS covenant_rows$/);
  });

  it("binds accepted values and counts unique duplicates with count - count(DISTINCT)", () => {
    const p = plan(
      contract(
        `${COLUMNS.replace("type: integer, required: true", "type: integer, required: true, unique: true")}`,
      ),
      "postgres",
    );
    expect(p.scan.sql).toContain('CAST("status" AS text) NOT IN ($1, $2)');
    expect(p.scan.params).toEqual(["new", "it's"]);
    expect(p.scan.sql).toContain('count("id") - count(DISTINCT "id")');
    const unique = p.checks.find((c) => c.rule_id === "column:id:unique");
    expect(unique?.samples?.sql).toContain('GROUP BY "id" HAVING count(*) > 1');
  });

  it("checks stored types by family only in SQLite", () => {
    const ids = (d: PlanDialect) => plan(contract(COLUMNS), d).checks.map((c) => c.rule_id);
    expect(ids("sqlite")).toContain("column:amount:type");
    expect(ids("postgres").some((id) => id.endsWith(":type"))).toBe(false);
    expect(ids("duckdb").some((id) => id.endsWith(":type"))).toBe(false);
    expect(plan(contract(COLUMNS), "sqlite").scan.sql).toContain(`typeof("amount") = 'integer'`);
  });

  it("scans a LIMIT subquery with a sample limit, but measures freshness over the whole table", () => {
    const p = plan(
      contract(`${COLUMNS}sla:\n  freshness: { column: updated_at, max_lag_minutes: 5 }\n`),
      "postgres",
      100,
    );
    expect(p.scan.sql).toContain('FROM (SELECT * FROM "public"."orders" LIMIT 100) AS covenant_rows');
    const freshness = p.checks.find((c) => c.rule_id === "sla:freshness");
    expect(freshness?.query?.sql).toBe('SELECT max("updated_at") AS value FROM "public"."orders"');
    expect(() => plan(contract(COLUMNS), "postgres", 0.5)).toThrow(/positive integer/);
  });

  it("does not evaluate rules on columns the table lacks, nor custom rules", () => {
    const p = plan(
      contract(`schema:
  columns:
    - { name: id, type: integer, required: true }
    - { name: gone, type: string, required: true }
quality:
  - { id: gone_format, type: regex, column: gone, pattern: "^x" }
  - { id: suite, type: custom, engine: soda, implementation: checks.yml }
sla:
  completeness_pct: 99
`),
      "postgres",
    );
    const notEvaluated = Object.fromEntries(
      p.checks.filter((c) => c.notEvaluated).map((c) => [c.rule_id, c.notEvaluated]),
    );
    expect(Object.keys(notEvaluated).sort()).toEqual([
      "column:gone:required",
      "gone_format",
      "sla:completeness",
      "suite",
    ]);
    expect(notEvaluated.gone_format).toContain("column gone is not in public.orders");
    expect(notEvaluated.suite).toContain("soda");
  });

  it("uses CHECK semantics for sql expressions and probes them alone", () => {
    const p = plan(
      contract(`${COLUMNS}quality:\n  - { id: pos, type: sql, expression: "amount > 0" }\n`),
      "duckdb",
    );
    expect(p.scan.sql).toContain("CASE WHEN NOT (amount > 0) THEN 1 ELSE 0 END");
    const check = p.checks.find((c) => c.rule_id === "pos");
    expect(check?.probe?.sql).toContain("LIMIT 0");
    expect(check?.samplesAreRows).toBe(true);
    expect(check?.samples?.sql).toMatch(/^SELECT "id" FROM .* WHERE NOT \(amount > 0\) LIMIT 5$/);
  });
});

describe("sql rules reading columns the table lacks", () => {
  it("leaves them not evaluated, naming the columns, and keeps them out of the scan", () => {
    const p = plan(
      contract(
        `${COLUMNS}quality:\n  - { id: ghost, type: sql, expression: "discount > 0 AND amount > 0" }\n  - { id: pos, type: sql, expression: "amount > 0" }\n`,
      ),
      "postgres",
    );
    const ghost = p.checks.find((c) => c.rule_id === "ghost");
    expect(ghost?.notEvaluated).toBe(
      "the rule reads column discount, which public.orders does not have; the contract does not declare discount either: fix the rule or add the column",
    );
    expect(ghost?.probe).toBeUndefined();
    expect(p.scan.sql).not.toContain("discount");
    expect(p.checks.find((c) => c.rule_id === "pos")?.slot).toBeDefined();
  });

  it("takes the rules a source showed it cannot run as not evaluated", () => {
    const c = contract(`${COLUMNS}quality:\n  - { id: pos, type: sql, expression: "amount > 0" }\n`);
    const p = planValidation(c, {
      dialect: "postgres",
      table: TABLE,
      tableRef: '"public"."orders"',
      now: NOW,
      notEvaluated: new Map([["pos", "the rule reads column Amount, which public.orders does not have"]]),
    });
    expect(p.checks.find((x) => x.rule_id === "pos")).toMatchObject({
      kind: "sql",
      notEvaluated: expect.any(String),
    });
    expect(p.scan.sql).not.toContain("amount > 0");
  });
});

describe("guardContractRules", () => {
  it.each([
    [
      "  - { id: evil, type: regex, column: status, pattern: '(a)\\1' }",
      /"evil" \(quality\[0\]\.pattern\) was refused/,
    ],
    [
      '  - { id: sneaky, type: sql, expression: "1=1; DROP TABLE orders" }',
      /"sneaky" \(quality\[0\]\.expression\) was refused/,
    ],
    [
      '  - { id: sneaky_q, type: sql, query: "SELECT 1; DELETE FROM orders" }',
      /"sneaky_q" \(quality\[0\]\.query\) was refused/,
    ],
    [
      '  - { id: breakout, type: sql, expression: "amount >= 0) OR (1 = (SELECT 1 FROM pg_authid LIMIT 1)" }',
      /"breakout" .* was refused before running: .*a '\)' that closes a parenthesis never opened at character 12/,
    ],
    [
      '  - { id: hidden, type: sql, expression: "amount >= 0 --\\n) OR (true" }',
      /"hidden" .*a comment '--' at character 13/,
    ],
    [
      '  - { id: unclosed, type: sql, expression: "(amount >= 0" }',
      /"unclosed" .*a '\(' that is never closed/,
    ],
    [
      `  - { id: escaped, type: sql, expression: "status = E'\\\\'' OR (true" }`,
      /"escaped" .*an escape string E'...' at character 10/,
    ],
    [
      '  - { id: dollar, type: sql, expression: "status = $$\')$$" }',
      /"dollar" .*found '\$' at character 10/,
    ],
  ])("refuses %s", (rule, message) => {
    // The parser refuses these rules; a contract stored before a guard existed skips it.
    expect(
      parseContract(`name: orders\nversion: 1.0.0\ndataset: { name: orders }\n${COLUMNS}quality:\n${rule}\n`)
        .ok,
    ).toBe(false);
    const stored = { ...contract(COLUMNS), quality: parseYaml(rule) as QualityRule[] };
    expect(() => guardContractRules(stored)).toThrow(message);
  });

  it("accepts parentheses and quotes that balance, whatever they contain", () => {
    const expression = `(status = ')(' OR "we""ird" <> '--') AND (amount > 0)`;
    const c = contract(
      `${COLUMNS}quality:\n  - { id: ok, type: sql, expression: ${JSON.stringify(expression)} }\n`,
    );
    expect(guardContractRules(c).get("ok")?.text).toBe(expression);
  });
});

describe("judging figures", () => {
  const sla = contract(
    `${COLUMNS}sla:\n  freshness: { column: updated_at, max_lag_minutes: 60 }\n  completeness_pct: 90\n`,
  );
  const checks = plan(sla, "postgres").checks;
  const freshness = checks.find((c) => c.rule_id === "sla:freshness");
  const completeness = checks.find((c) => c.rule_id === "sla:completeness");

  it.each([
    [null, "failed", null],
    ["2024-05-01 11:30:00+00", "passed", 30],
    ["2024-05-01 10:00:00", "failed", 120],
    ["not a time", "failed", null],
  ])("freshness of max %s is %s", (value, status, lag) => {
    if (!freshness) throw new Error("no freshness check");
    const result = checkResult(freshness, { rows: 10, value });
    expect(result.status).toBe(status);
    expect(result.observed?.lag_minutes).toBe(lag);
  });

  it("completeness is the share of rows with every required column, vacuous on an empty table", () => {
    if (!completeness) throw new Error("no completeness check");
    expect(checkResult(completeness, { rows: 10, value: 2 })).toMatchObject({
      status: "failed",
      failed_rows: 2,
      observed: { completeness_pct: 80 },
    });
    expect(checkResult(completeness, { rows: 10, value: 1 }).status).toBe("passed");
    expect(checkResult(completeness, { rows: 0, value: 0 }).status).toBe("passed");
  });
});

describe("parseTimestamp", () => {
  it.each([
    ["2024-05-01T10:00:00Z", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01 10:00:00", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01 12:00:00+02", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01 05:30:00.123456-0430", "2024-05-01T10:00:00.123Z"],
    ["2024-05-01", "2024-05-01T00:00:00.000Z"],
    [1714557600, "2024-05-01T10:00:00.000Z"],
    [1714557600000, "2024-05-01T10:00:00.000Z"],
  ])("reads %s", (value, iso) => {
    expect(new Date(parseTimestamp(value) ?? Number.NaN).toISOString()).toBe(iso);
  });

  it.each(["yesterday", "2024-13-45 99:99", "", true])("refuses %s", (value) => {
    expect(parseTimestamp(value)).toBeUndefined();
  });
});
