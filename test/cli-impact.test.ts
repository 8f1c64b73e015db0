// `covenant impact` on a real git repository shaped like examples/shop: upstream and downstream of
// a column through the dbt models to the exposure, with owners, in every format.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitRepo, type GitRepo } from "./helpers/git-repo.ts";
import { nonSnakeKeys } from "./helpers/json-naming.ts";
import { runCli } from "./helpers/run-cli.ts";

const SHOP = resolve(import.meta.dirname, "../examples/shop");
const filesOf = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out[relative(dir, full)] = readFileSync(full, "utf8");
    }
  };
  walk(dir);
  return out;
};

let repo: GitRepo;
let first: string;

beforeAll(() => {
  repo = createGitRepo("covenant-impact-");
  first = repo.commit(filesOf(SHOP), "shop");
  repo.commit(
    {
      "analytics/models/marts/dim_customers.sql": filesOf(SHOP)[
        "analytics/models/marts/dim_customers.sql"
      ]!.replace("c.customer_email as email", "lower(c.customer_email) as email"),
    },
    "normalise emails",
  );
});
afterAll(() => repo.remove());

const impact = (...args: string[]) => runCli({}, ["impact", "--repo", repo.dir, ...args]);

describe("covenant impact", () => {
  it("follows a migration column through the dbt models to the exposure, with owners (json, snake_case)", async () => {
    const { code, stdout } = await impact("public.customers.email", "--format", "json");
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(nonSnakeKeys(report)).toEqual([]);
    expect(report).toMatchObject({ dataset: "public.customers", column: "email", upstream: [] });
    expect(report.downstream.map((d: { path: string }) => d.path)).toEqual([
      "public.customers.email → stg_customers.customer_email",
      "public.customers.email → stg_customers.customer_email → dim_customers.email",
      "public.customers.email → stg_customers.customer_email → dim_customers.email → weekly_kpis",
    ]);
    expect(report.owners).toEqual(["@acme/growth", "Finance analytics"]);
  });

  it("reads any revision, and goes upstream with dependencies marked", async () => {
    const { stdout } = await impact("dim_customers.email", "--rev", first, "--direction", "upstream");
    expect(stdout).toContain("dim_customers.email → stg_customers.customer_email → public.customers.email");
    const dot = await impact("dim_customers.lifetime_amount", "--direction", "upstream", "--format", "dot");
    expect(dot.stdout).toMatch(/^digraph lineage \{/);
    expect(dot.stdout).toContain(
      '"orders.customer_id" -> "dim_customers.lifetime_amount" [style=dashed, label="dependency"];',
    );
    const mermaid = await impact("shop.orders", "--direction", "downstream", "--format", "mermaid");
    expect(mermaid.stdout).toContain('n0["public.orders"] --> n1["stg_orders"]');
  });

  it("says what it cannot find, with exit code 2", async () => {
    const missing = await impact("public.custmers");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no dataset, dbt model, seed, snapshot or source named public.custmers");
    const column = await impact("stg_customers.nope");
    expect(column.code).toBe(2);
    expect(column.stderr).toContain("stg_customers has no column nope");
  });
});
