import { describe, expect, it } from "vitest";
import { at, brief, ORDERS, runCase, table } from "./rule-test-kit.ts";

describe("dataset-removed / dataset-renamed", () => {
  it.each([
    {
      name: "dropped",
      head: [],
      events: [{ kind: "dataset-dropped" as const, dataset: "public.orders", location: at(1) }],
      expected: [["dataset-removed", "", "db/0002_change.sql:1"]],
    },
    {
      name: "renamed",
      head: [{ ...ORDERS, name: "public.purchases" }],
      events: [
        {
          kind: "dataset-renamed" as const,
          dataset: "public.orders",
          to: "public.purchases",
          location: at(2),
        },
      ],
      expected: [["dataset-renamed", "", "db/0002_change.sql:2"]],
    },
    {
      name: "dropped and re-created with the same columns: net effect nothing",
      head: [ORDERS],
      events: [
        { kind: "dataset-dropped" as const, dataset: "public.orders", location: at(1) },
        { kind: "dataset-created" as const, dataset: "public.orders", location: at(2) },
      ],
      expected: [],
    },
    {
      name: "another table dropped",
      head: [ORDERS],
      base: [ORDERS, table("public.audit", "id int")],
      events: [{ kind: "dataset-dropped" as const, dataset: "public.audit", location: at(1) }],
      expected: [],
    },
  ])("$name", ({ head, events, expected, base }) => {
    expect(brief(runCase({ base: base ?? [ORDERS], head, events }))).toEqual(expected);
  });

  it("a draft contract is not enforced", () => {
    const draft = `
name: orders
version: 1.0.0
status: draft
owner: "@acme/data"
enforcement: BLOCK
dataset: { name: orders }
schema: { columns: [{ name: id, type: bigint }] }
`;
    expect(runCase({ base: [ORDERS], head: [], contracts: [draft] })).toEqual([]);
  });
});
