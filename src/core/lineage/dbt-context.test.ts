// dbt's runtime context in a model's Jinja, as far as the project's files say it: `flags.FULL_REFRESH`
// (both renders read, like is_incremental), the `model` object (name, alias, config,
// original_file_path; what needs the target stops the evaluation) and `--vars` over
// dbt_project.yml's vars.
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG } from "../config/repo-config.ts";
import { discoverDbtProjects } from "../dbt/discover-dbt-projects.ts";
import { parseVarsOption } from "../dbt/project-macros.ts";
import { emptySchemaState } from "../model/schema.ts";
import { loadPostgresParser } from "../sql/postgres.ts";
import { buildLineage } from "./build-lineage.ts";
import { readRepositoryDbtGraph } from "./repository-lineage.ts";

beforeAll(loadPostgresParser);

const PROJECT: Record<string, string> = {
  "dbt/dbt_project.yml": "name: geo\nvars:\n  code_column: code\n",
  "dbt/seeds/countries.csv": "id,code,legacy_code,name\n",
};

const lineageOf = (models: Record<string, string>, vars?: Record<string, unknown>) => {
  const repo = { ...PROJECT, ...models };
  const contents = new Map(Object.entries(repo));
  const projects = discoverDbtProjects(Object.keys(repo), DEFAULT_REPO_CONFIG, contents);
  const graph = readRepositoryDbtGraph(projects, contents, DEFAULT_REPO_CONFIG, vars);
  return buildLineage({ state: emptySchemaState(), dialectOf: () => "postgres", dbt: graph.nodes });
};

/** The upstream columns each output column of `model` is computed from, or the reason it is unknown. */
const sourcesOf = (lineage: ReturnType<typeof lineageOf>, model: string) => {
  const node = lineage.nodes.get(model)!;
  if (node.lineage === "unknown") return { unknown: node.reason };
  return Object.fromEntries(
    node.columnLineage!.map((c) => [c.name, c.sources.map((s) => `${s.node}.${s.column}`).sort()]),
  );
};

describe("dbt's context in a model's Jinja", () => {
  it.each([
    {
      what: "flags.FULL_REFRESH: both renders are read, as for is_incremental()",
      sql: "select id, {% if flags.FULL_REFRESH %} legacy_code {% else %} code {% endif %} as code from {{ ref('countries') }}",
      expected: { id: ["countries.id"], code: ["countries.code", "countries.legacy_code"] },
    },
    {
      what: "model.config.materialized follows config(): only that branch is read",
      sql: "{{ config(materialized='table') }}\nselect id, {% if model.config.materialized == 'table' %} code {% else %} legacy_code {% endif %} as code from {{ ref('countries') }}",
      expected: { id: ["countries.id"], code: ["countries.code"] },
    },
    {
      what: "model.name, alias and original_file_path are the model's own",
      sql: "select {% if model.name == 'm' and model.alias == 'm_alias' and model.original_file_path == 'models/m.sql' %} code {% else %} name {% endif %} as code from {{ ref('countries') }}\n{{ config(alias='m_alias') }}",
      expected: { code: ["countries.code"] },
    },
    {
      what: "config.get answers the settings Covenant reads (materialized defaults to view)",
      sql: "select {% if config.get('materialized') == 'view' %} code {% else %} name {% endif %} as code from {{ ref('countries') }}",
      expected: { code: ["countries.code"] },
    },
    {
      what: "model.schema needs the target: the lineage is unknown, with the reason",
      sql: "select {% if model.schema == 'prod' %} code {% else %} name {% endif %} as code from {{ ref('countries') }}",
      expected: { unknown: expect.stringContaining("model.schema") },
    },
    {
      what: "a flag other than FULL_REFRESH is the invocation's: unknown",
      sql: "select {% if flags.WHICH == 'run' %} code {% else %} name {% endif %} as code from {{ ref('countries') }}",
      expected: { unknown: expect.stringContaining("flags.WHICH") },
    },
    {
      what: "config.get of a setting Covenant does not read: unknown, never a guessed default",
      sql: "select {% if config.get('on_schema_change', 'ignore') == 'ignore' %} code {% else %} name {% endif %} as code from {{ ref('countries') }}",
      expected: { unknown: expect.stringContaining("config.get('on_schema_change')") },
    },
  ])("$what", ({ sql, expected }) => {
    // A project macro in the model, so the stubs are not taken when the evaluation stops.
    const lineage = lineageOf({
      "dbt/models/m.sql": sql,
      "dbt/macros/noop.sql": "{% macro noop() %}{% endmacro %}\n",
    });
    expect(sourcesOf(lineage, "m")).toEqual(expected);
  });

  it("reads var() from --vars over dbt_project.yml's vars", () => {
    const models = {
      "dbt/models/m.sql": "select id, {{ var('code_column') }} as code from {{ ref('countries') }}",
    };
    expect(sourcesOf(lineageOf(models), "m")).toMatchObject({ code: ["countries.code"] });
    expect(sourcesOf(lineageOf(models, parseVarsOption("{code_column: legacy_code}")), "m")).toMatchObject({
      code: ["countries.legacy_code"],
    });
    expect(
      sourcesOf(lineageOf(models, parseVarsOption('{"code_column": "name", "other": 1}')), "m"),
    ).toMatchObject({ code: ["countries.name"] });
  });

  it.each([
    { text: "[a, b]", message: "--vars must be a mapping of names to values, not a list" },
    { text: "42", message: "--vars must be a mapping of names to values, not 42" },
    { text: "{a: [", message: "--vars does not parse as YAML or JSON" },
  ])("refuses --vars $text", ({ text, message }) => {
    expect(() => parseVarsOption(text)).toThrow(message);
  });
});
