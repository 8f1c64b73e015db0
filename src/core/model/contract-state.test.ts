import { describe, expect, it } from "vitest";
import { parseContract } from "./contract.ts";
import { type RegistryState, withRegistryState } from "./contract-state.ts";

const FILE = `# orders
name: orders
version: 1.0.0
status: draft   # set by the registry
owner: "@acme/data"
enforcement: RECORD
dataset: { type: table, name: public.orders }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: bigint, required: true }
`;

const state = (over: Partial<RegistryState> = {}): RegistryState => ({
  status: "draft",
  enforcement: "RECORD",
  owners: ["@acme/data"],
  description: null,
  deprecation: null,
  ...over,
});

const read = (text: string) => {
  const parsed = parseContract(text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.contract;
};

describe("withRegistryState", () => {
  it("returns a document in step with the registry byte for byte", () => {
    expect(withRegistryState(FILE, state())).toBe(FILE);
  });

  it.each([
    [{ status: "active" as const }, "status: active   # set by the registry"],
    [{ enforcement: "BLOCK" as const }, "enforcement: BLOCK"],
    [{ owners: ["@acme/data", "@alice"] }, 'owner: ["@acme/data", "@alice"]'],
    [{ description: "Paid orders" }, 'enforcement: RECORD\ndescription: "Paid orders"'],
  ])("rewrites only what changed: %o", (change, line) => {
    const out = withRegistryState(FILE, state(change));
    expect(out).toContain(line);
    expect(out).toContain("primary_key: [id]");
    expect(out).toContain("# orders");
    expect(withRegistryState(out, state(change))).toBe(out);
  });

  it("writes and removes a deprecation, and adds a status the file lacks", () => {
    const deprecated = withRegistryState(
      FILE,
      state({ status: "deprecated", deprecation: { reason: "split", successor: "orders_v2" } }),
    );
    expect(read(deprecated)).toMatchObject({
      status: "deprecated",
      deprecation: { reason: "split", successor: "orders_v2" },
    });
    const reactivated = withRegistryState(deprecated, state({ status: "active" }));
    expect(read(reactivated).deprecation).toBeUndefined();
    expect(read(reactivated).status).toBe("active");
    const bare = FILE.replace(/status: .*\n/, "");
    expect(read(withRegistryState(bare, state({ status: "archived" }))).status).toBe("archived");
  });
});
