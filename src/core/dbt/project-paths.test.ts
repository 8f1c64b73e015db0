// dbt_project.yml's folder settings decide which files of a project are models, seeds, macros and
// snapshots: discovery, the model reader and the lineage graph all follow them, and a setting that
// cannot be used is an error at its line, never a silent fall back.
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG } from "../config/repo-config.ts";
import { buildLineage } from "../lineage/build-lineage.ts";
import { readRepositoryDbtGraph } from "../lineage/repository-lineage.ts";
import { emptySchemaState } from "../model/schema.ts";
import { loadPostgresParser } from "../sql/postgres.ts";
import { parseDbtProject } from "./dbt-project.ts";
import { discoverDbtProjects } from "./discover-dbt-projects.ts";
import { readDbtModels } from "./read-dbt-models.ts";

beforeAll(loadPostgresParser);

const CUSTOM_PROJECT = [
  "name: shop",
  'model-paths: ["transform", "./marts/"]',
  "seed-paths: [reference]",
  'macro-paths: ["jinja", "../shared/macros"]',
  "snapshot-paths: [history]",
  "test-paths: [transform/checks]",
  "analysis-paths: [adhoc]",
  "target-path: build",
  "",
].join("\n");

/** A repository with one project whose folders are all renamed, and one nested project. */
const REPO: Record<string, string> = {
  "analytics/dbt_project.yml": CUSTOM_PROJECT,
  "analytics/transform/stg_countries.sql":
    "select id, {{ upper_code('code') }} as code, name from {{ ref('countries') }}\n",
  "analytics/transform/schema.yml": "version: 2\nmodels:\n  - name: stg_countries\n",
  "analytics/transform/checks/assert_codes.sql":
    "select * from {{ ref('stg_countries') }} where code is null\n",
  "analytics/marts/dim_countries.sql": "select id, code from {{ ref('stg_countries') }}\n",
  "analytics/reference/countries.csv": "id,name,code\n1,France,fr\n",
  "analytics/reference/countries.yml":
    "version: 2\nseeds:\n  - name: countries\n    meta: { owner: '@geo' }\n",
  "analytics/jinja/helpers.sql": "{% macro unused() %}1{% endmacro %}\n",
  "shared/macros/upper_code.sql": "{% macro upper_code(col) %}upper({{ col }}){% endmacro %}\n",
  "analytics/history/countries_snapshot.sql":
    "{% snapshot countries_snapshot %}\nselect * from {{ ref('countries') }}\n{% endsnapshot %}\n",
  "analytics/adhoc/explore.sql": "select * from {{ ref('dim_countries') }}\n",
  "analytics/models/legacy.sql": "select 1 as x\n",
  "analytics/seeds/old.csv": "a,b\n",
  "analytics/macros/old.sql": "{% macro old() %}1{% endmacro %}\n",
  "analytics/build/compiled/stg_countries.sql": "select 1\n",
  "analytics/docs/overview.md": "# shop\n",
  "analytics/nested/dbt_project.yml": "name: nested\n",
  "analytics/nested/models/n.sql": "select 1 as n\n",
  "README.md": "# repo\n",
};
const texts = new Map(Object.entries(REPO));

describe("dbt_project.yml's folder settings", () => {
  it("are read as repository folders: `./`, trailing slashes and `..` inside the repository", () => {
    const project = parseDbtProject(CUSTOM_PROJECT, "analytics/dbt_project.yml");
    expect(project.findings).toEqual([]);
    expect(project.folders).toEqual({
      model: ["analytics/transform", "analytics/marts"],
      seed: ["analytics/reference"],
      macro: ["analytics/jinja", "shared/macros"],
      snapshot: ["analytics/history"],
      analysis: ["analytics/adhoc"],
      test: ["analytics/transform/checks"],
      docs: [],
      asset: [],
    });
    expect(project.outputFolders).toEqual(["analytics/build", "analytics/dbt_packages", "analytics/logs"]);
    // dbt before 1.0 named two of them differently; the root project's folders have no prefix.
    const legacy = parseDbtProject("name: old\nsource-paths: [src]\ndata-paths: [csv]\n", "dbt_project.yml");
    expect(legacy.folders).toMatchObject({ model: ["src"], seed: ["csv"], macro: ["macros"] });
    // `.` is the project itself.
    expect(parseDbtProject("model-paths: ['.']\n", "dbt/dbt_project.yml").folders.model).toEqual(["dbt"]);
  });

  it.each([
    {
      text: "name: shop\nseed-paths: reference\n",
      line: 2,
      setting: "seed-paths",
      message: "is a string, not a list of folders",
    },
    {
      text: "name: shop\nmacro-paths: [jinja, 3]\n",
      line: 2,
      setting: "macro-paths",
      message: "has an entry that is not a folder name",
    },
    {
      text: "name: shop\nmodel-paths:\n  - models\n  - /srv/dbt/models\n",
      line: 4,
      setting: "model-paths",
      message: 'is an absolute path ("/srv/dbt/models")',
    },
    {
      text: "name: shop\n\nsnapshot-paths: ['../../outside']\n",
      line: 3,
      setting: "snapshot-paths",
      message: 'leaves the repository ("../../outside")',
    },
    { text: "model-paths:\n", line: 1, setting: "model-paths", message: "is empty, not a list of folders" },
    {
      text: "name: x\ntarget-path: [a, b]\n",
      line: 2,
      setting: "target-path",
      message: "is not a folder name",
    },
  ])(
    "$setting: $message is an error at line $line, and dbt's default is read meanwhile",
    ({ text, line, setting, message }) => {
      const project = parseDbtProject(text, "analytics/dbt_project.yml");
      expect(project.findings).toEqual([
        expect.objectContaining({
          rule: "dbt-parse-error",
          severity: "error",
          file: "analytics/dbt_project.yml",
          line,
          message: expect.stringContaining(`\`${setting}\` in analytics/dbt_project.yml ${message}`),
          help: expect.stringContaining("list of folders relative to the project"),
        }),
      ]);
      expect(project.folders.model).toEqual(["analytics/models"]);
      expect(project.folders.seed).toEqual(["analytics/seeds", "analytics/data"]);
      // Discovery carries the problem, so a change to the project is not judged as if all were well.
      const [found] = discoverDbtProjects(["analytics/dbt_project.yml"], DEFAULT_REPO_CONFIG, (path) =>
        path === "analytics/dbt_project.yml" ? text : undefined,
      );
      expect(found?.problems).toEqual(project.findings);
    },
  );

  it("decide which files discovery lists: tests, analyses, docs, dbt's output and the default folders are left", () => {
    const projects = discoverDbtProjects(Object.keys(REPO), DEFAULT_REPO_CONFIG, texts);
    expect(projects).toEqual([
      {
        root: "analytics",
        projectFile: "analytics/dbt_project.yml",
        files: [
          "analytics/dbt_project.yml",
          "analytics/history/countries_snapshot.sql",
          "analytics/jinja/helpers.sql",
          "analytics/marts/dim_countries.sql",
          "analytics/reference/countries.csv",
          "analytics/reference/countries.yml",
          "analytics/transform/schema.yml",
          "analytics/transform/stg_countries.sql",
          "shared/macros/upper_code.sql",
        ],
      },
      {
        root: "analytics/nested",
        projectFile: "analytics/nested/dbt_project.yml",
        files: ["analytics/nested/dbt_project.yml", "analytics/nested/models/n.sql"],
      },
    ]);
  });

  it("not yet read, leave discovery listing every file a dbt folder could hold: never fewer", () => {
    const [exact] = discoverDbtProjects(Object.keys(REPO), DEFAULT_REPO_CONFIG, texts);
    const [unread] = discoverDbtProjects(Object.keys(REPO), DEFAULT_REPO_CONFIG);
    for (const file of exact!.files.filter((f) => f.startsWith("analytics/")))
      expect(unread!.files).toContain(file);
    // The renamed target folder is not known either: more is read, never less.
    expect(unread!.files).toContain("analytics/build/compiled/stg_countries.sql");
    expect(unread!.files).not.toContain("analytics/nested/models/n.sql");
  });

  it("decide which files are models for the schema: a test folder inside a model folder holds no model", () => {
    const [project] = discoverDbtProjects(Object.keys(REPO), DEFAULT_REPO_CONFIG, texts);
    // Every file of the repository is offered: the reader itself keeps to the model folders.
    const { datasets, findings } = readDbtModels({ project: project!, files: texts });
    expect(datasets.map((d) => d.name)).toEqual(["dim_countries", "stg_countries"]);
    expect(findings).toEqual([]);
  });

  it("decide the lineage: seeds in `seed-paths`, macros in `macro-paths` (beside the project too), snapshots", () => {
    const projects = discoverDbtProjects(Object.keys(REPO), DEFAULT_REPO_CONFIG, texts);
    const graph = readRepositoryDbtGraph(projects, texts, DEFAULT_REPO_CONFIG);
    const node = (id: string) => graph.nodes.find((n) => n.id === id);
    expect(node("countries")).toMatchObject({
      kind: "seed",
      file: "analytics/reference/countries.csv",
      header: ["id", "name", "code"],
      owners: ["@geo"],
    });
    expect(node("old")).toBeUndefined();
    expect(node("legacy")).toBeUndefined();
    expect(node("assert_codes")).toBeUndefined();
    expect(node("countries_snapshot")).toMatchObject({ kind: "snapshot", upstream: ["countries"] });
    expect(node("stg_countries")?.macros).toContain("macro upper_code");
    const lineage = buildLineage({
      state: emptySchemaState(),
      dialectOf: () => "postgres",
      dbt: graph.nodes,
    });
    const code = lineage.nodes.get("stg_countries")!.columnLineage!.find((c) => c.name === "code");
    expect(code?.sources.map((s) => `${s.node}.${s.column}`)).toEqual(["countries.code"]);
  });
});
