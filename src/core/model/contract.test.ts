import { describe, expect, it } from "vitest";
import {
  type Contract,
  contractChecksum,
  contractOwners,
  datasetMatches,
  formatContractIssue,
  parseContract,
  parseRepositoryContract,
  qualifyDatasetName,
  serializeContract,
  validateContract,
} from "./contract.ts";
import type { Dialect } from "./contract-levels.ts";

const EXAMPLE = `name: orders                 # unique per installation
version: 1.2.0               # semver; a breaking edit needs a new major
status: active               # draft | active | deprecated | archived
owner: "@acme/data-platform" # GitHub team or user(s); they approve waivers
enforcement: BLOCK           # INACTIVE | RECORD | NOTIFY | ALERT | BLOCK
dataset:
  type: table                # table | view | dbt_model
  name: public.orders        # Postgres default schema \`public\` and SQLite \`main\` may be omitted
restrict_pii: true
schema:
  primary_key: [id]
  columns:
    - { name: id, type: bigint, required: true }
    - { name: email, type: string, required: false, pii: true }
    - { name: status, type: string, required: true, accepted_values: [new, paid, shipped] }
    - { name: updated_at, type: timestamp, required: true }
quality:
  - { id: email_format, type: regex, column: email, pattern: '^[^@]+@[^@]+\\.[^@]+$' }
  - { id: non_negative, type: sql, expression: "amount_cents >= 0" }
sla:
  freshness: { column: updated_at, max_lag_minutes: 60 }
  completeness_pct: 99.5
`;

const MINIMAL = `name: orders
version: 1.0.0
owner: "@acme/data"
dataset: { name: orders }
schema:
  columns:
    - { name: id, type: bigint }
`;

const parsed = (text: string): Contract => {
  const r = parseContract(text, "contracts/orders.yaml");
  if (!r.ok) throw new Error(r.errors.map(formatContractIssue).join("\n"));
  return r.contract;
};

describe("parseContract: status", () => {
  it("defaults a missing status to draft (the API), to active for repository files", () => {
    const api = parseContract(MINIMAL, "contracts/orders.yaml");
    expect(api.ok && api.contract.status).toBe("draft");
    const repo = parseRepositoryContract(MINIMAL, "contracts/orders.yaml");
    expect(repo.ok && repo.contract.status).toBe("active");
    const draft = parseRepositoryContract(`${MINIMAL}status: draft\n`, "contracts/orders.yaml");
    expect(draft.ok && draft.contract.status).toBe("draft");
  });
});

describe("parseContract: valid", () => {
  it.each([
    {
      name: "the documented example",
      text: EXAMPLE,
      lines: {
        version: 2,
        status: 3,
        enforcement: 5,
        dataset: 6,
        columns: 12,
        column: { id: 13, email: 14, status: 15, updated_at: 16 },
        primaryKey: 11,
        quality: 17,
        rule: { email_format: 18, non_negative: 19 },
        sla: 20,
      },
    },
    {
      name: "block-style columns, no primary key, quality or sla",
      text: MINIMAL.replace(
        "    - { name: id, type: bigint }\n",
        "    - name: id\n      type: bigint\n    - name: Note\n      type: string\n",
      ),
      lines: { version: 2, dataset: 4, columns: 6, column: { id: 7, note: 9 } },
    },
  ])("gives the lines of what rules point at: $name", ({ text, lines }) => {
    const r = parseContract(text, "contracts/orders.yaml");
    expect(r.ok && r.lines).toEqual(lines);
  });

  it("parses the documented example", () => {
    const r = parseContract(EXAMPLE, "contracts/orders.yaml");
    expect(r).toMatchObject({ ok: true, format: "covenant" });
    const c = parsed(EXAMPLE);
    expect(c).toMatchObject({
      name: "orders",
      version: "1.2.0",
      status: "active",
      owner: "@acme/data-platform",
      enforcement: "BLOCK",
      dataset: { type: "table", name: "public.orders" },
      restrict_pii: true,
      schema: { primary_key: ["id"] },
      sla: { freshness: { column: "updated_at", max_lag_minutes: 60 }, completeness_pct: 99.5 },
    });
    expect(c.schema.columns).toEqual([
      { name: "id", type: "bigint", required: true },
      { name: "email", type: "string", required: false, pii: true },
      { name: "status", type: "string", required: true, accepted_values: ["new", "paid", "shipped"] },
      { name: "updated_at", type: "timestamp", required: true },
    ]);
    expect(c.quality?.[0]?.pattern).toBe("^[^@]+@[^@]+\\.[^@]+$");
  });

  it("applies defaults", () => {
    const c = parsed(MINIMAL);
    expect(c.status).toBe("draft");
    expect(c.enforcement).toBe("RECORD");
    expect(c.restrict_pii).toBe(false);
    expect(c.dataset.type).toBe("table");
    expect(c.schema.columns[0]?.required).toBe(false);
  });

  it("accepts a list of owners and numeric accepted values as strings", () => {
    const c = parsed(
      MINIMAL.replace('owner: "@acme/data"', 'owner: ["@acme/data", "@octocat"]').replace(
        "type: bigint }",
        "type: integer, accepted_values: [1, 2] }",
      ),
    );
    expect(contractOwners(c)).toEqual(["@acme/data", "@octocat"]);
    expect(c.schema.columns[0]?.accepted_values).toEqual(["1", "2"]);
  });
});

describe("parseContract: errors carry file:line:column", () => {
  const table: Array<[string, string, string]> = [
    [
      "bad enforcement",
      EXAMPLE.replace("enforcement: BLOCK ", "enforcement: BLOK  "),
      "contracts/orders.yaml:5:14 enforcement must be one of INACTIVE, RECORD, NOTIFY, ALERT, BLOCK",
    ],
    [
      "bad status",
      EXAMPLE.replace("status: active ", "status: live   "),
      "contracts/orders.yaml:3:9 status must be one of draft, active, deprecated, archived",
    ],
    [
      "not semver",
      EXAMPLE.replace("version: 1.2.0 ", "version: 1.2   "),
      'contracts/orders.yaml:2:10 version "1.2" is not a semantic version: write MAJOR.MINOR.PATCH, e.g. 1.2.0',
    ],
    [
      "v-prefixed version",
      EXAMPLE.replace("version: 1.2.0 ", "version: v1.2.0"),
      'contracts/orders.yaml:2:10 version "v1.2.0" is not a semantic version: write MAJOR.MINOR.PATCH, e.g. 1.2.0',
    ],
    [
      "unknown top-level key with a suggestion",
      EXAMPLE.replace("restrict_pii: true", "restrict_pi: true"),
      'contracts/orders.yaml:9:1 restrict_pi is not a known key (did you mean "restrict_pii"?)',
    ],
    [
      "unknown column key",
      EXAMPLE.replace(
        "{ name: id, type: bigint, required: true }",
        "{ name: id, type: bigint, requred: true }",
      ),
      'contracts/orders.yaml:13:33 schema.columns[0].requred is not a known key (did you mean "required"?)',
    ],
    [
      "duplicate column",
      EXAMPLE.replace("{ name: status, type: string", "{ name: email, type: string"),
      'contracts/orders.yaml:15:15 schema.columns[2].name duplicates column "email" declared at schema.columns[1]: remove or rename one',
    ],
    [
      "unknown type",
      EXAMPLE.replace("{ name: id, type: bigint", "{ name: id, type: bigitn"),
      'contracts/orders.yaml:13:25 schema.columns[0].type "bigitn" is not a known type: use a family (string, integer, number, boolean, date, timestamp, json, binary, uuid) or a SQL type such as varchar(255)',
    ],
    [
      "missing key points at the parent mapping",
      EXAMPLE.replace("  name: public.orders        # Postgres", "  # Postgres"),
      "contracts/orders.yaml:7:3 dataset.name is required",
    ],
    [
      "missing top-level key points at the document",
      EXAMPLE.replace('owner: "@acme/data-platform" # GitHub team or user(s); they approve waivers\n', ""),
      "contracts/orders.yaml:1:1 owner is required",
    ],
    [
      "owner without @",
      EXAMPLE.replace('owner: "@acme/data-platform"', 'owner: "acme/data-platform" '),
      "contracts/orders.yaml:4:8 owner must be a GitHub team (@org/team) or user (@user)",
    ],
    [
      "wrong type",
      EXAMPLE.replace("restrict_pii: true", "restrict_pii: yes"),
      'contracts/orders.yaml:9:15 restrict_pii must be true or false, found string "yes"',
    ],
    [
      "primary key not a column",
      EXAMPLE.replace("primary_key: [id]", "primary_key: [uid]"),
      'contracts/orders.yaml:11:17 schema.primary_key[0] names "uid", which is not a column of schema.columns',
    ],
    [
      "regex rule without pattern",
      EXAMPLE.replace(", pattern: '^[^@]+@[^@]+\\.[^@]+$' }", " }"),
      "contracts/orders.yaml:18:5 quality[0].pattern is required for a regex rule",
    ],
    [
      "invalid regex",
      EXAMPLE.replace("pattern: '^[^@]+@[^@]+\\.[^@]+$'", "pattern: '([a-z'"),
      'contracts/orders.yaml:18:62 quality[0].pattern "([a-z" is not a valid regular expression for RE2 (missing closing ]: `[a-z`): see the RE2 syntax (github.com/google/re2/wiki/Syntax)',
    ],
    [
      "regex with a backreference",
      // A function, so that `$'` is not read as a replacement pattern.
      EXAMPLE.replace("pattern: '^[^@]+@[^@]+\\.[^@]+$'", () => "pattern: '^(a)\\1$'"),
      'contracts/orders.yaml:18:62 quality[0].pattern "^(a)\\1$" cannot be accepted: it uses the backreference "\\1", and RE2 (the linear-time engine Covenant and DuckDB match with) has no backreferences: match the repeated text explicitly instead (e.g. list the alternatives)',
    ],
    [
      "sql rule with a statement separator",
      EXAMPLE.replace(
        'expression: "amount_cents >= 0"',
        'expression: "amount_cents >= 0; DROP TABLE orders"',
      ),
      "contracts/orders.yaml:19:48 quality[1].expression must be a single boolean expression over the row's columns, like amount_cents >= 0; found a statement separator ';' at character 18",
    ],
    [
      "sql rule stepping out of its parentheses",
      EXAMPLE.replace('expression: "amount_cents >= 0"', 'expression: "1=1) FROM t UNION SELECT (1"'),
      "contracts/orders.yaml:19:48 quality[1].expression must be a single boolean expression over the row's columns, like amount_cents >= 0; found a ')' that closes a parenthesis never opened at character 4",
    ],
    [
      "sql rule calling a function outside the allow-list",
      EXAMPLE.replace('expression: "amount_cents >= 0"', 'expression: "pg_sleep(10) IS NULL"'),
      "contracts/orders.yaml:19:48 quality[1].expression calls pg_sleep(), which a rule may not call",
    ],
    [
      "sql query that changes data",
      EXAMPLE.replace('expression: "amount_cents >= 0"', 'query: "DELETE FROM orders"'),
      "contracts/orders.yaml:19:43 quality[1].query must be one read-only SELECT returning a single count that must be zero, like SELECT count(*) FROM orders WHERE amount_cents < 0; found a DELETE statement",
    ],
    [
      "sql rule with both expression and query",
      EXAMPLE.replace(
        'expression: "amount_cents >= 0"',
        'expression: "a > 0", query: "SELECT count(*) FROM t"',
      ),
      "contracts/orders.yaml:19:64 quality[1].query cannot be given with expression: a sql rule has one or the other",
    ],
    [
      "length rule without bounds",
      EXAMPLE.replace('type: sql, expression: "amount_cents >= 0"', "type: length, column: email"),
      "contracts/orders.yaml:19:5 quality[1].min min or max is required for a length rule (the allowed number of characters)",
    ],
    [
      "length rule without a column",
      EXAMPLE.replace('type: sql, expression: "amount_cents >= 0"', "type: length, max: 3"),
      "contracts/orders.yaml:19:5 quality[1].column is required for a length rule",
    ],
    [
      "length rule with a fractional bound",
      EXAMPLE.replace('type: sql, expression: "amount_cents >= 0"', "type: length, column: email, min: 1.5"),
      "contracts/orders.yaml:19:59 quality[1].min must be a whole number of characters, 0 or more, found 1.5",
    ],
    [
      "length rule with min above max",
      EXAMPLE.replace(
        'type: sql, expression: "amount_cents >= 0"',
        "type: length, column: email, min: 5, max: 3",
      ),
      "contracts/orders.yaml:19:67 quality[1].max must not be less than min (5)",
    ],
    [
      "range rule with min above max",
      EXAMPLE.replace(
        'type: sql, expression: "amount_cents >= 0"',
        "type: range, column: email, min: 5, max: 3",
      ),
      "contracts/orders.yaml:19:66 quality[1].max must not be less than min (5)",
    ],
    [
      "completeness out of range",
      EXAMPLE.replace("completeness_pct: 99.5", "completeness_pct: 101"),
      "contracts/orders.yaml:22:21 sla.completeness_pct must be at most 100",
    ],
    ["YAML syntax error", "name: orders\nversion: [1.0.0\nowner: x\n", "contracts/orders.yaml:"],
    ["empty document", "", "contracts/orders.yaml:1:1 contract is empty"],
    ["not a mapping", "- a\n- b\n", "contracts/orders.yaml:1:1 contract must be a mapping, found a list"],
    [
      "duplicate YAML key",
      MINIMAL.replace("version: 1.0.0", "version: 1.0.0\nversion: 2.0.0"),
      "contracts/orders.yaml:3:1 invalid YAML: Map keys must be unique",
    ],
  ];
  it.each(table)("%s", (_label, text, expected) => {
    const r = parseContract(text, "contracts/orders.yaml");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = r.errors.map(formatContractIssue);
    expect(
      lines.some((l) => l.startsWith(expected)),
      lines.join("\n"),
    ).toBe(true);
  });

  it("reports every problem, sorted by position", () => {
    const text = EXAMPLE.replace("status: active ", "status: live   ").replace(
      "enforcement: BLOCK ",
      "enforcement: BLOK  ",
    );
    const r = parseContract(text, "c.yaml");
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors.map((e) => [e.line, e.path])).toEqual([
        [3, "status"],
        [5, "enforcement"],
      ]);
  });
});

describe("validateContract", () => {
  it("validates objects from the API with paths", () => {
    const r = validateContract({
      name: "orders",
      version: "1.0.0",
      owner: "@a",
      dataset: { name: "o" },
      schema: {},
    });
    expect(r).toEqual({
      ok: false,
      errors: [{ path: "schema.columns", message: "schema.columns is required" }],
    });
  });

  it("guards sql and regex rules of objects from the API too, and accepts length rules", () => {
    const body = (quality: unknown[]) => ({
      name: "orders",
      version: "1.0.0",
      owner: "@a",
      dataset: { name: "o" },
      schema: { columns: [{ name: "code", type: "string" }] },
      quality,
    });
    const r = validateContract(
      body([
        { id: "q", type: "sql", query: "SELECT count(*) FROM o; DELETE FROM o" },
        { id: "r", type: "regex", column: "code", pattern: "(?=x)y" },
      ]),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.map((e) => e.path)).toEqual(["quality[0].query", "quality[1].pattern"]);
      expect(r.errors[0]?.message).toMatch(/^quality\[0\]\.query must be one read-only SELECT .*';'/);
      expect(r.errors[1]?.message).toMatch(
        /^quality\[1\]\.pattern "\(\?=x\)y" cannot be accepted: it uses the lookahead/,
      );
    }
    const ok = validateContract(body([{ id: "len", type: "length", column: "code", min: 2, max: 4 }]));
    expect(ok.ok && ok.contract.quality).toEqual([
      { id: "len", type: "length", column: "code", min: 2, max: 4 },
    ]);
  });
});

describe("serializeContract", () => {
  it("round-trips the example", () => {
    const c = parsed(EXAMPLE);
    const text = serializeContract(c);
    expect(parsed(text)).toEqual(c);
    expect(
      text
        .split("\n")
        .filter((l) => /^\w/.test(l))
        .map((l) => l.split(":")[0]),
    ).toEqual([
      "name",
      "version",
      "status",
      "owner",
      "enforcement",
      "dataset",
      "restrict_pii",
      "schema",
      "quality",
      "sla",
    ]);
    expect(text).toContain("primary_key: [ id ]");
  });

  it("is stable", () => {
    const c = parsed(EXAMPLE);
    expect(serializeContract(parsed(serializeContract(c)))).toBe(serializeContract(c));
  });
});

describe("contractChecksum", () => {
  it("ignores line endings and trailing whitespace, not content", () => {
    const a = contractChecksum(MINIMAL);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(contractChecksum(MINIMAL.replaceAll("\n", "\r\n"))).toBe(a);
    expect(contractChecksum(`${MINIMAL.replaceAll("\n", "  \n")}\n\n`)).toBe(a);
    expect(contractChecksum(`\uFEFF${MINIMAL}`)).toBe(a);
    expect(contractChecksum(MINIMAL.replace("1.0.0", "1.0.1"))).not.toBe(a);
  });
});

describe("qualifyDatasetName / datasetMatches", () => {
  const names: Array<[string, Dialect | "dbt", string]> = [
    ["orders", "postgres", "public.orders"],
    ["Orders", "postgres", "public.orders"],
    ['"Orders"', "postgres", "public.Orders"],
    ['Sales."Orders"', "postgres", "sales.Orders"],
    ["public.orders", "postgres", "public.orders"],
    ["orders", "sqlite", "main.orders"],
    ["Main.Orders", "sqlite", "main.orders"],
    ["Shop.Orders", "mysql", "shop.orders"],
    ["`orders`", "mysql", "orders"],
    ["orders", "mariadb", "orders"],
    ["dim_customers", "dbt", "dim_customers"],
    ["Proj.Dataset.Orders", "bigquery", "proj.dataset.orders"],
  ];
  it.each(names)("qualify %s (%s) -> %s", (name, dialect, out) => {
    expect(qualifyDatasetName(name, dialect)).toBe(out);
  });

  const matches: Array<[string, string, Dialect | "dbt", boolean]> = [
    ["orders", "public.orders", "postgres", true],
    ["public.orders", "orders", "postgres", true],
    ["orders", "sales.orders", "postgres", false],
    ["orders", "main.orders", "sqlite", true],
    ["orders", "shop.orders", "mysql", true],
    ["shop.orders", "orders", "mysql", false],
    ["shop.orders", "other.orders", "mysql", false],
    ["orders", "orders_v2", "dbt", false],
    ["dataset.orders", "proj.dataset.orders", "snowflake", true],
  ];
  it.each(matches)("%s ~ %s (%s) = %s", (a, b, dialect, out) => {
    expect(datasetMatches(a, b, dialect)).toBe(out);
  });
});
