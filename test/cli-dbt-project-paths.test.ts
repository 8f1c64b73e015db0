// A dbt project whose folders are not dbt's defaults: `covenant impact` and `covenant check` read
// its seeds, macros and models where dbt_project.yml says, and a folder setting that cannot be
// used fails the check instead of passing it on dbt's defaults.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitRepo, type GitRepo } from "./helpers/git-repo.ts";
import { checkRepoJson, runCli } from "./helpers/run-cli.ts";

const SEED = "analytics/reference/countries.csv";
const PROJECT = [
  "name: geo",
  "profile: geo",
  "model-paths: [transform]",
  "seed-paths: [reference]",
  "macro-paths: [jinja]",
  "test-paths: [transform/checks]",
  "",
].join("\n");

let repo: GitRepo;
let base: string;

beforeAll(() => {
  repo = createGitRepo("covenant-dbt-paths-");
  base = repo.commit(
    {
      ".github/covenant.yml":
        'contracts: ["contracts/**/*.yaml"]\ndbt:\n  - { path: analytics, dialect: postgres }\n',
      "analytics/dbt_project.yml": PROJECT,
      [SEED]: "id,name,code\n1,France,fr\n2,Japan,jp\n",
      "analytics/jinja/upper_code.sql": "{% macro upper_code(col) %}upper({{ col }}){% endmacro %}\n",
      "analytics/transform/dim_countries.sql":
        "select id, name, {{ upper_code('code') }} as code from {{ ref('countries') }}\n",
      "analytics/transform/country_labels.sql":
        "select id, {{ var('label_column', 'name') }} as label from {{ ref('countries') }}\n",
      // A test, not a model: it would otherwise be a second dataset reading the seed.
      "analytics/transform/checks/dim_countries.sql":
        "select * from {{ ref('dim_countries') }} where id is null\n",
      "contracts/dim_countries.yaml": [
        "name: dim_countries",
        "version: 1.0.0",
        "status: active",
        'owner: "@acme/geo"',
        "enforcement: BLOCK",
        "dataset: { type: dbt_model, name: dim_countries }",
        "schema:",
        "  columns:",
        "    - { name: id, type: bigint, required: true }",
        "    - { name: code, type: string }",
        "",
      ].join("\n"),
    },
    "geo",
  );
});
afterAll(() => repo.remove());

const check = () => checkRepoJson(repo.dir);

describe("a dbt project with its own folders", () => {
  it("has its seed in `seed-paths` and its macro in `macro-paths` in the lineage", async () => {
    const { code, stdout } = await runCli({}, [
      "impact",
      "--repo",
      repo.dir,
      "countries.code",
      "--direction",
      "downstream",
      "--format",
      "json",
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).downstream.map((d: { path: string }) => d.path)).toEqual([
      "countries.code → dim_countries.code",
    ]);
  });

  it("reads var() from --vars as dbt run takes them, and refuses --vars that are not a mapping", async () => {
    const upstream = async (...vars: string[]) => {
      const { code, stdout, stderr } = await runCli({}, [
        "impact",
        "--repo",
        repo.dir,
        "--rev",
        base,
        "country_labels.label",
        "--direction",
        "upstream",
        "--format",
        "json",
        ...vars,
      ]);
      return {
        code,
        stderr,
        paths: code === 0 ? JSON.parse(stdout).upstream.map((d: { path: string }) => d.path) : [],
      };
    };
    expect((await upstream()).paths).toEqual(["country_labels.label → countries.name"]);
    expect((await upstream("--vars", '{"label_column": "code"}')).paths).toEqual([
      "country_labels.label → countries.code",
    ]);
    const refused = await upstream("--vars", "[code]");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--vars must be a mapping of names to values, not a list");
  });

  it("fails a branch that drops a seed column the contracted model reads through the macro", async () => {
    repo.git("checkout", "-q", "-b", "drop-code", base);
    repo.commit({ [SEED]: "id,name\n1,France\n" }, "drop code");
    const { code, stdout } = await check();
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.violations).toContainEqual(
      expect.objectContaining({ rule: "downstream-contract-broken", file: SEED, contract: "dim_countries" }),
    );
  });

  it("fails a branch whose dbt_project.yml sends a folder out of the repository, naming the file and line", async () => {
    repo.git("checkout", "-q", "-b", "bad-paths", base);
    repo.commit(
      {
        "analytics/dbt_project.yml": PROJECT.replace(
          "seed-paths: [reference]",
          "seed-paths: ['../../seeds']",
        ),
        "analytics/transform/dim_countries.sql":
          "select id, {{ upper_code('code') }} as code from {{ ref('countries') }}\n",
      },
      "seeds elsewhere",
    );
    const { code, stdout } = await check();
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        rule: "dbt-parse-error",
        severity: "error",
        file: "analytics/dbt_project.yml",
        line: 4,
        message: expect.stringContaining(
          '`seed-paths` in analytics/dbt_project.yml leaves the repository ("../../seeds")',
        ),
      }),
    );
    expect(report.violations).toContainEqual(
      expect.objectContaining({
        rule: "file-unreadable",
        contract: "dim_countries",
        file: "analytics/dbt_project.yml",
        message: expect.stringContaining("its folder settings cannot be used"),
      }),
    );
  });
});
