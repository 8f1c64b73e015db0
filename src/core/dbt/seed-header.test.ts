import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG } from "../config/repo-config.ts";
import { keepHeader, keepHeaderText, MAX_FILE_BYTES, planReads } from "../files/repository-files.ts";
import { buildLineage } from "../lineage/build-lineage.ts";
import { diffSeedHeaders } from "../lineage/dbt-graph.ts";
import { readRepositoryDbtGraph } from "../lineage/repository-lineage.ts";
import { emptySchemaState } from "../model/schema.ts";
import { loadPostgresParser } from "../sql/postgres.ts";
import { discoverDbtProjects } from "./discover-dbt-projects.ts";
import { HEADER_BYTES, parseCsvHeader } from "./seed-header.ts";

beforeAll(loadPostgresParser);

describe("a seed's CSV header", () => {
  it("reads RFC 4180 names: quotes, commas and doubled quotes inside them, a BOM, CRLF", () => {
    expect(parseCsvHeader("id,first_name,last_name\n1,Michael,P.\n")).toEqual([
      "id",
      "first_name",
      "last_name",
    ]);
    expect(parseCsvHeader('\uFEFFid,"last, first","say ""hi""" , note\r\n1,"a, b",c,d\r\n')).toEqual([
      "id",
      "last, first",
      'say "hi"',
      "note",
    ]);
    expect(parseCsvHeader('"multi\nline",b\n1,2\n')).toEqual(["multi\nline", "b"]);
  });

  it("has no header, not an empty one: an empty file, a blank line, a broken quote, an empty name", () => {
    for (const text of ["", "\uFEFF", "\r\n1,2\n", '"id,name\n', 'id,na"me\n', "id,,name\n"])
      expect(parseCsvHeader(text)).toBeUndefined();
  });

  it("is all the readers keep of a CSV, however large", () => {
    const bytes = new TextEncoder().encode(`\uFEFFid,"a, b"\r\n${"1,2\r\n".repeat(100_000)}`);
    expect(parseCsvHeader(keepHeader(bytes))).toEqual(["id", "a, b"]);
    expect(keepHeader(bytes)).not.toContain("\n");
    // GraphQL's text, whole or cut short
    expect(keepHeaderText('id,"a, b"\n1,2', true)).toBe('id,"a, b"');
    expect(keepHeaderText("id,name", true)).toBe("id,name");
    expect(keepHeaderText("id,na", false)).toBe("");
    // Over the limit of a file Covenant reads whole, a seed is still read for its header.
    const entry = { type: "blob", mode: "100644", oid: "a".repeat(40), size: MAX_FILE_BYTES * 2 };
    const plan = planReads(["seeds/big.csv", "models/big.sql"], () => entry);
    expect([...plan.blobs.keys()]).toEqual(["seeds/big.csv"]);
    expect(plan.unreadable.map((u) => u.path)).toEqual(["models/big.sql"]);
    // A first line longer than HEADER_BYTES is not a header.
    expect(keepHeader(new TextEncoder().encode(`${"x".repeat(HEADER_BYTES + 10)}\n1\n`))).toBe("");
  });
});

const PROJECT = {
  "dbt/dbt_project.yml": "name: shop\nprofile: shop\nmodel-paths: [models]\nseed-paths: [seeds]\n",
  "dbt/seeds/raw_customers.csv": '\uFEFFid,"last, first",email\r\n1,"Doe, Jane",j@x\r\n',
  "dbt/seeds/raw_empty.csv": "",
  "dbt/models/stg_customers.sql": "select * from {{ ref('raw_customers') }}\n",
  "dbt/models/stg_empty.sql": "select * from {{ ref('raw_empty') }}\n",
};

const graphOf = (repo: Record<string, string>) =>
  readRepositoryDbtGraph(
    discoverDbtProjects(Object.keys(repo), DEFAULT_REPO_CONFIG),
    new Map(Object.entries(repo)),
    DEFAULT_REPO_CONFIG,
  ).nodes;

describe("seeds without YAML in the lineage", () => {
  it("give their header's columns to `select *`; an empty CSV's columns stay unknown", () => {
    const dbt = graphOf(PROJECT);
    expect(dbt.find((n) => n.id === "raw_customers")).toMatchObject({
      kind: "seed",
      file: "dbt/seeds/raw_customers.csv",
      header: ["id", "last, first", "email"],
    });
    expect(dbt.find((n) => n.id === "raw_empty")).toMatchObject({ kind: "seed" });
    expect(dbt.find((n) => n.id === "raw_empty")?.header).toBeUndefined();
    expect(dbt.find((n) => n.id === "raw_empty")?.columns).toBeUndefined();
    const lineage = buildLineage({ state: emptySchemaState(), dialectOf: () => "postgres", dbt });
    expect(lineage.nodes.get("stg_customers")).toMatchObject({
      lineage: "known",
      columns: ["id", "last, first", "email"],
    });
    // Unknown, never "no columns": the star carries every column of the seed.
    const empty = lineage.nodes.get("stg_empty")!;
    expect(empty.columns).toEqual([]);
    expect(empty.passthrough).toEqual(["raw_empty"]);
  });

  it("YAML adds owners and describes a seed whose header is unknown", () => {
    const dbt = graphOf({
      ...PROJECT,
      "dbt/seeds/seeds.yml":
        "version: 2\nseeds:\n  - name: raw_customers\n    meta: { owner: '@crm' }\n    columns: [{ name: id }]\n  - name: raw_empty\n    columns: [{ name: id }]\n",
    });
    expect(dbt.find((n) => n.id === "raw_customers")).toMatchObject({
      owners: ["@crm"],
      columns: ["id", "last, first", "email"],
    });
    expect(dbt.find((n) => n.id === "raw_empty")).toMatchObject({ columns: ["id"] });
  });

  it("diffs headers: a dropped column, a renamed one; nothing when a side's header is unknown", () => {
    const base = graphOf(PROJECT);
    const drop = graphOf({ ...PROJECT, "dbt/seeds/raw_customers.csv": 'id,"last, first"\n' });
    expect(diffSeedHeaders(base, drop)).toEqual([
      {
        kind: "column-removed",
        dataset: "raw_customers",
        column: "email",
        location: { file: "dbt/seeds/raw_customers.csv", line: 1 },
      },
    ]);
    const rename = graphOf({ ...PROJECT, "dbt/seeds/raw_customers.csv": "id,full_name,email\n" });
    expect(diffSeedHeaders(base, rename)).toMatchObject([
      { kind: "column-renamed", dataset: "raw_customers", column: "last, first", to: "full_name" },
    ]);
    expect(diffSeedHeaders(base, graphOf({ ...PROJECT, "dbt/seeds/raw_customers.csv": "" }))).toEqual([]);
  });
});
