// A contracted dbt model is only verified when what it reads can be read: a pull request that
// breaks an upstream model's SQL, or drops a seed column a `select *` model carries to it, must
// not pass silently.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitRepo, type GitRepo } from "./helpers/git-repo.ts";
import { checkRepoJson, runCli } from "./helpers/run-cli.ts";

let repo: GitRepo;
let base: string;

const contract = [
  "name: countries_report",
  "version: 1.0.0",
  "status: active",
  'owner: "@acme/geo"',
  "enforcement: BLOCK",
  "dataset: { type: dbt_model, name: countries_report }",
  "schema:",
  "  columns:",
  "    - { name: code, type: string, required: true }",
  "    - { name: country_name, type: string }",
  "",
].join("\n");

beforeAll(() => {
  repo = createGitRepo("covenant-upstream-");
  base = repo.commit(
    {
      ".github/covenant.yml":
        'contracts: ["contracts/**/*.yaml"]\ndbt:\n  - { path: analytics, dialect: postgres }\n',
      "analytics/dbt_project.yml": "name: geo\nprofile: geo\nmodel-paths: [models]\nseed-paths: [seeds]\n",
      "analytics/seeds/countries.csv": "code,name,region\nFR,France,EU\n",
      "analytics/models/stg_countries.sql": "select * from {{ ref('countries') }}\n",
      "analytics/models/int_countries.sql": "select code, name from {{ ref('stg_countries') }}\n",
      "analytics/models/countries_report.sql":
        "select code, name as country_name from {{ ref('int_countries') }}\n",
      "analytics/models/unrelated.sql": "select 1 as one\n",
      "contracts/countries_report.yaml": contract,
    },
    "geo",
  );
});
afterAll(() => repo.remove());

const check = async () => {
  const { code, stdout, stderr } = await checkRepoJson(repo.dir);
  return { code, report: JSON.parse(stdout || "{}"), stderr };
};

describe("a contracted dbt model downstream of", () => {
  it("an upstream model that no longer parses is unverified at the contract's level", async () => {
    repo.git("checkout", "-q", "-B", "broken-upstream", base);
    repo.commit(
      { "analytics/models/stg_countries.sql": "select * from from {{ ref('countries') }} where (\n" },
      "break stg",
    );
    const { code, report } = await check();
    expect(code).toBe(1);
    const v = report.violations.find((x: { contract?: string }) => x.contract === "countries_report");
    expect(v).toMatchObject({
      rule: "sql-parse-error",
      enforcement: "BLOCK",
      file: "analytics/models/stg_countries.sql",
    });
    expect(v.message).toContain("analytics/models/stg_countries.sql:1");
    expect(v.help).toContain("Fix analytics/models/stg_countries.sql:1");
    // Reported once, as the violation, not also as a warning.
    expect(report.findings.map((f: { rule: string }) => f.rule)).not.toContain("dbt-parse-error");
  });

  it("an unrelated model that no longer parses stays a warning", async () => {
    repo.git("checkout", "-q", "-B", "broken-unrelated", base);
    repo.commit({ "analytics/models/unrelated.sql": "select from from where (\n" }, "break unrelated");
    const { code, report } = await check();
    expect(code).toBe(0);
    expect(report.violations).toEqual([]);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ rule: "dbt-parse-error", file: "analytics/models/unrelated.sql" }),
    );
  });

  it("a seed whose header loses a column a `select *` model carries to it", async () => {
    repo.git("checkout", "-q", "-B", "rename-seed-col", base);
    repo.commit({ "analytics/seeds/countries.csv": "code,country,region\nFR,France,EU\n" }, "rename name");
    const { code, report } = await check();
    expect(code).toBe(1);
    expect(report.violations.map((x: { contract?: string }) => x.contract)).toContain("countries_report");
  });

  it("a model that drops a column a `select *` model over it carries to the contract", async () => {
    repo.git("checkout", "-q", "-B", "star-over-model", base);
    repo.commit(
      {
        "analytics/models/all_countries.sql": "select * from {{ ref('int_countries') }}\n",
        "analytics/models/countries_report.sql":
          "select code, name as country_name from {{ ref('all_countries') }}\n",
      },
      "read through a star",
    );
    const star = repo.git("rev-parse", "HEAD").trim();
    repo.commit(
      {
        "analytics/models/int_countries.sql": "select code, name as label from {{ ref('stg_countries') }}\n",
      },
      "rename name",
    );
    const { code, stdout } = await runCli({}, [
      "check",
      "--repo",
      repo.dir,
      "--base",
      star,
      "--format",
      "json",
    ]);
    expect(code).toBe(1);
    const broken = JSON.parse(stdout).violations.find(
      (v: { rule: string }) => v.rule === "downstream-contract-broken",
    );
    expect(broken).toMatchObject({
      contract: "countries_report",
      column: "country_name",
      enforcement: "BLOCK",
    });
    expect(broken.actual).toBe("int_countries.name → all_countries.name → countries_report.country_name");
  });
});
