// A seed without YAML is a lineage node whose columns are its CSV header: `covenant impact` follows
// them through `select *`, and `covenant check` fails a branch that drops one from the header
// while a contracted model downstream still reads it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitRepo, type GitRepo } from "./helpers/git-repo.ts";
import { checkRepoJson, runCli } from "./helpers/run-cli.ts";

const SEED = "analytics/seeds/raw_customers.csv";
const rows = Array.from({ length: 20_000 }, (_, i) => `${i},"Doe, Jane ${i}",j${i}@example.com,${i % 7}\r\n`);

let repo: GitRepo;
let base: string;

beforeAll(() => {
  repo = createGitRepo("covenant-seeds-");
  base = repo.commit(
    {
      ".github/covenant.yml":
        'contracts: ["contracts/**/*.yaml"]\ndbt:\n  - { path: analytics, dialect: postgres }\n',
      "analytics/dbt_project.yml": "name: shop\nprofile: shop\nmodel-paths: [models]\nseed-paths: [seeds]\n",
      // A BOM, CRLF, a quoted name with a comma; no YAML describes the seed.
      [SEED]: `\uFEFFid,"last, first",email,segment\r\n${rows.join("")}`,
      "analytics/seeds/raw_empty.csv": "",
      "analytics/models/stg_customers.sql": "select * from {{ ref('raw_customers') }}\n",
      "analytics/models/customers.sql":
        "select id as customer_id, \"last, first\" as full_name, email from {{ ref('stg_customers') }}\n",
      "analytics/models/schema.yml": [
        "version: 2",
        "models:",
        "  - name: customers",
        "    config: { contract: { enforced: true } }",
        "    columns:",
        "      - { name: customer_id, data_type: bigint }",
        "      - { name: full_name, data_type: text }",
        "      - { name: email, data_type: text }",
        "",
      ].join("\n"),
      "contracts/customers.yaml": [
        "name: customers",
        "version: 1.0.0",
        "status: active",
        'owner: "@acme/crm"',
        "enforcement: BLOCK",
        "dataset: { type: dbt_model, name: customers }",
        "schema:",
        "  columns:",
        "    - { name: customer_id, type: bigint, required: true }",
        "    - { name: full_name, type: string }",
        "    - { name: email, type: string }",
        "",
      ].join("\n"),
    },
    "shop",
  );
});
afterAll(() => repo.remove());

describe("seeds without YAML", () => {
  it("give the columns of their CSV header to `select *` downstream", async () => {
    const { code, stdout } = await runCli({}, [
      "impact",
      "--repo",
      repo.dir,
      "raw_customers.email",
      "--direction",
      "downstream",
      "--format",
      "json",
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).downstream.map((d: { path: string }) => d.path)).toEqual([
      "raw_customers.email → stg_customers.email",
      "raw_customers.email → stg_customers.email → customers.email",
    ]);
    const quoted = await runCli({}, [
      "impact",
      "--repo",
      repo.dir,
      "stg_customers.last, first",
      "--format",
      "json",
    ]);
    expect(JSON.parse(quoted.stdout).upstream.map((d: { path: string }) => d.path)).toEqual([
      "stg_customers.last, first → raw_customers.last, first",
    ]);
  });

  it("fail a branch that drops a column of the header through the contracted model downstream", async () => {
    repo.git("checkout", "-q", "-b", "drop-email", base);
    repo.commit(
      {
        [SEED]: `id,"last, first",segment\n${rows.map((r) => r.replace(/,j\d+@example\.com/, "")).join("")}`,
      },
      "drop email from the seed",
    );
    const { code, stdout } = await checkRepoJson(repo.dir);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    const broken = report.violations.find((v: { rule: string }) => v.rule === "downstream-contract-broken");
    expect(broken).toMatchObject({ file: SEED });
    expect(broken.message).toContain("raw_customers.email → stg_customers.email → customers.email");
    expect(report.findings.map((f: { rule: string }) => f.rule)).toContain("downstream-column-missing");
  });

  it.each([
    ["an unterminated quote", `id,"last, first,email,segment\n1,a,b,1\n`],
    ["a blank first line", `\nid,"last, first",email,segment\n1,a,b,1\n`],
    ["a header longer than the reader keeps", `id,"last, first",email,${"x,".repeat(40_000)}segment\n`],
  ])(
    "fail a branch whose header can no longer be read (%s): the contract downstream is unverified",
    async (what, text) => {
      repo.git("checkout", "-q", "-B", "unreadable-header", base);
      repo.commit({ [SEED]: text }, what);
      const { code, stdout } = await checkRepoJson(repo.dir);
      expect(code).toBe(1);
      const unread = JSON.parse(stdout).violations.find(
        (v: { rule: string }) => v.rule === "file-unreadable",
      );
      expect(unread).toMatchObject({ file: SEED, contract: "customers" });
      expect(unread.message).toContain("CSV header");
    },
  );

  it.each([
    ["deletes", { [SEED]: null }],
    ["renames", { [SEED]: null, "analytics/seeds/raw_people.csv": 'id,"last, first",email,segment\n' }],
  ])("fail a branch that %s the seed a contracted model still reads", async (_, files) => {
    repo.git("checkout", "-q", "-B", "seed-gone", base);
    repo.commit(files, "seed gone");
    const { code, stdout } = await checkRepoJson(repo.dir);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    const broken = report.violations.find((v: { rule: string }) => v.rule === "downstream-contract-broken");
    expect(broken).toMatchObject({ file: SEED, contract: "customers" });
    expect(broken.message).toContain("raw_customers is dropped");
    expect(report.findings.map((f: { rule: string }) => f.rule)).toContain("downstream-column-missing");
  });

  it("pass a branch that only changes rows, or drops a column nothing reads", async () => {
    repo.git("checkout", "-q", "-b", "rows", base);
    repo.commit({ [SEED]: `\uFEFFid,"last, first",email,segment\r\n1,"Roe, Ann",a@x,1\r\n` }, "fewer rows");
    const rowsOnly = await checkRepoJson(repo.dir);
    expect(rowsOnly.code).toBe(0);
    repo.commit({ [SEED]: 'id,"last, first",email\r\n1,"Roe, Ann",a@x\r\n' }, "drop segment");
    const unread = await checkRepoJson(repo.dir);
    expect(unread.code).toBe(0);
  });
});
