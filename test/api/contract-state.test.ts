// What the API returns about a contract, in every format, is its current state: after activate,
// deprecate, archive and PUT, the JSON, the stored YAML `contents`, the ODCS export and the versions
// list all agree. And the errors a first user meets say what to do.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { contractChecksum } from "../../src/core/model/contract.ts";
import { caller, createTenant, startApiOn } from "../helpers/api-server.ts";

const ORDERS = `# Orders, as the shop writes them
name: orders
version: 1.0.0
owner: "@acme/data"
enforcement: RECORD
dataset: { type: table, name: public.orders }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: bigint, required: true }   # the key
    - { name: amount_cents, type: integer }
`;

const ODCS = `apiVersion: v3.0.2
kind: DataContract
id: payments
name: payments
version: 1.0.0
status: draft
team:
  - { username: acme/data, role: owner }
schema:
  - name: payments
    physicalName: public.payments
    properties:
      - { name: id, logicalType: integer, physicalType: bigint, required: true }
customProperties:
  - { property: enforcement, value: RECORD }
`;

describe.each(["sqlite", "postgres"] as const)("contract state through the API on %s", (kind) => {
  let h: Awaited<ReturnType<typeof startApiOn>>;
  let t: Awaited<ReturnType<typeof createTenant>>;
  let call: ReturnType<typeof caller>;

  beforeAll(async () => {
    h = await startApiOn(kind);
    t = await createTenant(h.db, "acme");
    call = caller(h.base, () => t.manage);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Every view of the contract: JSON, YAML, ODCS export, the versions list and the current version. */
  const views = async (id: string) => {
    const json = (await call("GET", `/contracts/${id}`)).body;
    const odcs = (await call("GET", `/contracts/${id}?format=odcs`)).body;
    const versions = (await call("GET", `/contracts/${id}/versions`)).body.content;
    const current = (await call("GET", `/contracts/${id}/versions/${json.version}`)).body;
    return { json, yaml: parse(json.contents), odcs: parse(odcs.contents), versions, current };
  };

  it("shows the lifecycle status and the enforcement level everywhere after each change", async () => {
    const created = await call("POST", "/contracts", { contents: ORDERS });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // A new contract is a draft; its YAML, without status, means draft: it is stored as sent.
    expect(created.body.contents).toBe(ORDERS);
    const said = await call("POST", "/contracts", {
      contents: ORDERS.replace("name: orders", "name: says_active").replace(
        "owner:",
        "status: active\nowner:",
      ),
    });
    expect(said.body.status).toBe("draft");
    expect(parse(said.body.contents).status).toBe("draft");
    expect(created.body.contents).toContain("# Orders, as the shop writes them");
    expect(created.body.contents).toContain("# the key");

    expect((await call("POST", `/contracts/${id}/activate`)).status).toBe(200);
    let v = await views(id);
    expect(v.json.status).toBe("active");
    expect(v.yaml.status).toBe("active");
    expect(v.odcs.status).toBe("active");
    expect(v.versions[0]).toMatchObject({ version: "1.0.0", status: "active" });
    expect(v.current.contents).toBe(v.json.contents);
    // The checksum is the checksum of what is shown.
    expect(v.json.checksum).toBe(contractChecksum(v.json.contents));
    expect(v.versions[0].checksum).toBe(v.json.checksum);

    const put = await call("PUT", `/contracts/${id}`, {
      enforcement: "BLOCK",
      owner: ["@acme/data", "@alice"],
      description: "Paid orders",
    });
    expect(put.status).toBe(200);
    v = await views(id);
    expect(v.json).toMatchObject({ enforcement: "BLOCK", version: "1.0.0", description: "Paid orders" });
    expect(v.yaml).toMatchObject({ enforcement: "BLOCK", owner: ["@acme/data", "@alice"] });
    expect(v.yaml.description).toBe("Paid orders");
    expect(put.body.contents).toBe(v.json.contents);
    const custom = Object.fromEntries(
      v.odcs.customProperties.map((p: { property: string; value: unknown }) => [p.property, p.value]),
    );
    expect(custom.enforcement).toBe("BLOCK");
    expect(v.odcs.team.map((m: { username: string }) => m.username)).toEqual(["@acme/data", "@alice"]);

    const successor = await call("POST", "/contracts", {
      contents: ORDERS.replace("name: orders", "name: orders_v2"),
    });
    const deprecated = await call("POST", `/contracts/${id}/deprecate`, {
      reason: "split by region",
      successor_contract_id: successor.body.id,
    });
    expect(deprecated.status).toBe(200);
    v = await views(id);
    expect(v.yaml.status).toBe("deprecated");
    expect(v.yaml.deprecation).toEqual({ reason: "split by region", successor: "orders_v2" });
    expect(v.odcs.status).toBe("deprecated");
    expect(v.versions[0].status).toBe("deprecated");

    expect((await call("POST", `/contracts/${id}/archive`)).status).toBe(200);
    v = await views(id);
    expect([v.json.status, v.yaml.status, v.odcs.status, v.versions[0].status, v.current.status]).toEqual([
      "archived",
      "archived",
      "archived",
      "archived",
      "archived",
    ]);
    // Archiving clears nothing a reader needs: the deprecation stays on record.
    expect(v.yaml.deprecation.reason).toBe("split by region");
  });

  it("keeps the registry's status and level in a newly published version's YAML", async () => {
    const created = await call("POST", "/contracts", {
      contents: ORDERS.replace("name: orders", "name: refunds"),
    });
    const id = created.body.id as string;
    await call("POST", `/contracts/${id}/activate`);
    await call("PUT", `/contracts/${id}`, { enforcement: "ALERT" });
    // The new version's file still says RECORD and no status: the registry's values win, and show.
    const published = await call("POST", `/contracts/${id}/versions`, {
      contents: ORDERS.replace("name: orders", "name: refunds").replace("1.0.0", "1.1.0"),
    });
    expect(published.status).toBe(201);
    expect(parse(published.body.contents)).toMatchObject({ status: "active", enforcement: "ALERT" });
    const v = await views(id);
    expect(v.json).toMatchObject({ version: "1.1.0", status: "active", enforcement: "ALERT" });
    expect(v.yaml).toMatchObject({ status: "active", enforcement: "ALERT" });
    expect(v.versions.map((x: { status: string }) => x.status)).toEqual(["active", "active"]);
  });

  it("writes ODCS contracts' state in ODCS terms", async () => {
    const created = await call("POST", "/contracts", { contents: ODCS });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await call("POST", `/contracts/${id}/activate`);
    await call("PUT", `/contracts/${id}`, { enforcement: "NOTIFY" });
    const v = await views(id);
    expect(v.yaml.apiVersion).toBe("v3.0.2");
    expect(v.yaml.status).toBe("active");
    expect(v.yaml.customProperties).toContainEqual({ property: "enforcement", value: "NOTIFY" });
    expect(v.odcs.status).toBe("active");
  });

  it("refuses to validate data against an archived contract (409), saying why and what to do", async () => {
    const created = await call("POST", "/contracts", {
      contents: ORDERS.replace("name: orders", "name: gone"),
    });
    const id = created.body.id as string;
    const rows = { rows: [{ id: null, amount_cents: 1 }] };
    const draft = await call("POST", `/contracts/${id}/validate`, rows);
    expect(draft.status).toBe(201);
    expect((await call("POST", `/contracts/${id}/archive`)).status).toBe(200);
    const before = (await call("GET", `/contracts/${id}/violations`)).body.total_elements;
    const refused = await call("POST", `/contracts/${id}/validate`, rows);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("conflict");
    expect(refused.body.message).toMatch(/archived/);
    expect(refused.body.message).toContain("POST /api/v1/check");
    const verify = await call("POST", `/contracts/${id}/verify`, { source_id: "whatever" });
    expect(verify.status).toBe(409);
    expect((await call("GET", `/contracts/${id}/violations`)).body.total_elements).toBe(before);
  });

  it("points a duplicate name at publishing a version, and raw YAML at the JSON shape", async () => {
    const first = await call("POST", "/contracts", { contents: ORDERS.replace("name: orders", "name: dup") });
    const again = await call("POST", "/contracts", { contents: ORDERS.replace("name: orders", "name: dup") });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain(`POST /api/v1/contracts/${first.body.id}/versions`);

    for (const type of ["application/yaml", "text/plain"]) {
      const res = await fetch(`${h.base}/api/v1/contracts`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.manage}`, "content-type": type },
        body: ORDERS,
      });
      expect(res.status).toBe(415);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe("unsupported_media_type");
      expect(body.message).toContain(type);
      expect(body.message).toContain('{"contents": ');
      expect(body.message).toContain("application/json");
    }
    const publish = await fetch(`${h.base}/api/v1/contracts/${first.body.id}/versions`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.manage}`, "content-type": "application/x-yaml" },
      body: ORDERS,
    });
    expect(publish.status).toBe(415);
    expect(((await publish.json()) as { message: string }).message).toContain('{"contents": ');
  });

  it("says which format since= takes", async () => {
    const bad = await call("GET", "/violations?since=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("ISO 8601");
    expect(bad.body.message).toContain("2026-01-31");
    expect(bad.body.message).toContain('"yesterday"');
    expect((await call("GET", "/violations?since=2026-01-31")).status).toBe(200);
    const versions = await call("GET", "/contracts/x/versions?created_before=31/01/2026");
    expect(versions.status).toBe(400);
    expect(versions.body.message).toContain("ISO 8601");
  });
});
