// A seeded fuzzer against the real server: requests derived from the OpenAPI document (valid
// bodies built from the request schemas, then mutated: huge strings, NUL, unpaired surrogates,
// deep nesting, wrong types, many keys, unicode, boundary numbers and dates, YAML bombs in
// `contents`; hostile ids, query values and JSON text). Every answer must be < 500, within 5 s,
// a `{code, message}` body when it is an error, and free of the server's secrets and of another
// tenant's names; the server must stay alive with its memory bounded. FUZZ_SEED replays a run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../helpers/api-server.ts";
import { type CovenantServer, startCovenant } from "../helpers/covenant-server.ts";
import { makeSourceFiles, ORDERS_CONTRACT, type SourceFiles } from "../helpers/source-fixtures.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
const REQUESTS = 2_000;
const CONCURRENCY = 2;
const STALL_MS = 5_000;
const BODY_LIMIT = 1024 * 1024;
const LEAK_PASSWORD = "fuzz-leak-password-5b1e";
const OTHER_TENANT_NAME = "zeta_secret_contract";

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema objects from the OpenAPI document
type Schema = any;

/** mulberry32: a small seeded generator, so that a failing run can be replayed. */
const prng = (seed: number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const ALIAS_BOMB = [
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  ...Array.from({ length: 9 }, (_, i) => {
    const p = String.fromCharCode(97 + i);
    const n = String.fromCharCode(98 + i);
    return `${n}: &${n} [${Array(9).fill(`*${p}`).join(",")}]`;
  }),
].join("\n");

describe("fuzzing the API from its OpenAPI document", () => {
  let files: SourceFiles;
  let cov: CovenantServer;
  let doc: { paths: Record<string, Record<string, Schema>>; components: { schemas: Record<string, Schema> } };
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    files = makeSourceFiles();
    cov = await startCovenant({
      kind: "postgres",
      filesRoot: files.root,
      env: { COVENANT_SOURCE_FUZZ: `postgresql://fuzz:${LEAK_PASSWORD}@127.0.0.1:1/none` },
      config: { API_BODY_LIMIT_BYTES: String(BODY_LIMIT), API_RATE_LIMIT_PER_MINUTE: "1000000" },
    });
    const other = await createTenant(cov.server.db, "zeta");
    const post = async (key: string, path: string, body: unknown) => {
      const res = await fetch(`${cov.base}/api/v1${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      return (await res.json()) as Schema;
    };
    await post(other.admin, "/contracts", {
      contents: ORDERS_CONTRACT.replace("name: orders", `name: ${OTHER_TENANT_NAME}`),
    });
    const contract = await post(cov.tenant.admin, "/contracts", { contents: ORDERS_CONTRACT });
    ids.contract = contract.id;
    const run = await post(cov.tenant.admin, `/contracts/${ids.contract}/validate`, {
      rows: [{ id: 1, email: "broken", status: "lost", amount_cents: 1 }],
    });
    ids.run = run.id;
    ids.violation = run.violations[0].id;
    files.forInstallation(cov.tenant.installation.id);
    ids.source = (await post(cov.tenant.admin, "/sources", { name: "shop", location: "shop.db" })).id;
    ids.key = (await post(cov.tenant.admin, "/api-keys", { name: "fuzz", scope: "read" })).id;
    // The SQLite reader is a child process started on first use (seconds on a busy machine): start
    // it here, so that the 5 s bound judges the requests, not the start.
    await fetch(`${cov.base}/api/v1/sources/${ids.source}/tables`, {
      headers: { authorization: `Bearer ${cov.tenant.admin}` },
    });
    doc = (await (await fetch(`${cov.base}/api/v1/openapi.json`)).json()) as typeof doc;
  });

  afterAll(async () => {
    await cov?.close();
    files?.cleanup();
  });

  it(`answers ${REQUESTS} mutated requests (seed ${SEED}) with < 500, in time, leaking nothing`, async () => {
    const random = prng(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    const resolve = (schema: Schema): Schema =>
      schema?.$ref ? resolve(doc.components.schemas[schema.$ref.split("/").pop()]) : schema;

    /** A value the schema accepts, from its example, enum or type. */
    const valid = (raw: Schema, depth = 0): unknown => {
      const schema = resolve(raw) ?? {};
      if (schema.example !== undefined) return schema.example;
      if (schema.enum) return pick(schema.enum);
      const alternatives = schema.anyOf ?? schema.oneOf;
      if (alternatives) return valid(pick(alternatives), depth);
      const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== "null") : schema.type;
      switch (type) {
        case "object": {
          const out: Record<string, unknown> = {};
          for (const [key, value] of Object.entries(schema.properties ?? {})) {
            if ((schema.required ?? []).includes(key) || random() < 0.5) out[key] = valid(value, depth + 1);
          }
          return out;
        }
        case "array":
          return depth > 4 ? [] : [valid(schema.items, depth + 1)];
        case "integer":
        case "number":
          return schema.minimum ?? 1;
        case "boolean":
          return true;
        default:
          return "orders";
      }
    };

    const STRINGS = [
      () => "x".repeat(random() < 0.3 ? int(100_000, 600_000) : int(300, 5_000)),
      () => `a\u0000b`,
      () => "\u{1F600}\u202E\u0301\uFEFF مرحبا 🏳️‍🌈",
      () => '\'; DROP TABLE "Contract"; --',
      () => "../../../../etc/passwd",
      () => "0000-01-01",
      () => "9999-12-31T23:59:59.999Z",
      () => "2026-02-30",
      () => ORDERS_CONTRACT.replace("name: orders", "name: fuzzed"),
      () => ALIAS_BOMB,
      () => `x: ${"[".repeat(int(100, 20_000))}`,
      () => Array.from({ length: int(5_000, 15_000) }, (_, i) => `k${i}: v`).join("\n"),
      () => `${ORDERS_CONTRACT}name: dup\n`,
      () => `${ORDERS_CONTRACT.replace("pattern: '^[^@]+@[^@]+$'", () => "pattern: '(a{1,10}){1,10}b'")}`,
    ];
    // Cheap mutations are drawn more often than costly ones, so that a run fits in CI time.
    const VALUES = [
      () => pick(STRINGS)(),
      () => pick(STRINGS)(),
      () => pick([-1, 0, -0, 2 ** 53, -(2 ** 63), 1e308, 0.1, 10_000_001]),
      () => pick([-1, 0, -0, 2 ** 53, -(2 ** 63), 1e308, 0.1, 10_000_001]),
      () => pick([null, true, false, [], {}]),
      () => pick([null, true, false, [], {}]),
      () => {
        let v: unknown = "deep";
        for (let i = int(60, 3_000); i > 0; i--) v = [v];
        return v;
      },
      () =>
        Object.fromEntries(
          Array.from({ length: random() < 0.8 ? int(10, 3_000) : 30_000 }, (_, i) => [`k${i}`, i]),
        ),
    ];

    /** One random change somewhere in the value. */
    const mutate = (value: unknown): unknown => {
      if (value === null || typeof value !== "object" || random() < 0.3) return pick(VALUES)();
      if (Array.isArray(value)) {
        if (value.length === 0 || random() < 0.2) return [...value, pick(VALUES)()];
        const i = int(0, value.length - 1);
        return value.map((v, j) => (j === i ? mutate(v) : v));
      }
      const keys = Object.keys(value);
      if (keys.length === 0 || random() < 0.2)
        return { ...value, [pick(["unknown", "a\u0000b", "__proto__", "constructor"])]: pick(VALUES)() };
      const key = pick(keys);
      return { ...value, [key]: mutate((value as Record<string, unknown>)[key]) };
    };

    const ID_VALUES = () => [
      ...Object.values(ids),
      "%00",
      "x".repeat(70),
      "..%2F..%2Fetc",
      "%F0%9F%98%80",
      "%ED%A0%80",
      "%ZZ",
      "0",
    ];
    const QUERY_VALUES = [
      "-1",
      "0",
      "1e9",
      "%00",
      "%FF",
      "0000-01-01",
      "99999-01-01",
      "x".repeat(600),
      "true",
      "%ED%A0%80",
    ];
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      ["get", "post", "put", "patch", "delete"]
        .filter((m) => item[m])
        .map((m) => ({ method: m, path, op: item[m] })),
    );

    const secrets = [LEAK_PASSWORD, OTHER_TENANT_NAME, "zeta-admin", cov.tenant.read, cov.tenant.manage];
    const rssBefore = process.memoryUsage().rss;
    const failures: string[] = [];
    let sent = 0;
    let slowest = 0;
    const timings: Array<[number, string]> = [];
    const started = performance.now();
    // Requests are drawn one after the other (the nth is the same in every run of a seed) and
    // sent by a few clients at once, as a server meets them.
    let made = 0;
    const client = async () => {
      while (made < REQUESTS && failures.length < 10) {
        made++;
        const { method, path, op } = pick(operations);
        const url = path
          .replace("{id}", random() < 0.8 ? pick(Object.values(ids)) : pick(ID_VALUES()))
          .replace("{version}", random() < 0.8 ? "1.0.0" : pick(["%00", "x".repeat(200), "1.0.0.0"]))
          .replace("{owner}", random() < 0.8 ? "acme" : "%00")
          .replace("{repo}", "shop");
        const params = (op.parameters ?? []).filter((p: Schema) => p.in === "query");
        const query = params
          .filter(() => random() < 0.4)
          .map(
            (p: Schema) =>
              `${p.name}=${random() < 0.5 ? encodeURIComponent(String(valid(p.schema))) : pick(QUERY_VALUES)}`,
          )
          .join("&");
        const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
        let text: string | undefined;
        if (bodySchema) {
          const base = valid(bodySchema);
          const roll = random();
          if (roll < 0.05) text = `{"contents": "${"\\ud800"}x"}`;
          else if (roll < 0.08) text = `{"a": ${"[".repeat(int(100, 100_000))}`;
          else if (roll < 0.1) text = "\u0000\u00ff{not json";
          else text = JSON.stringify(roll < 0.2 ? base : mutate(base));
        }
        const t0 = performance.now();
        let res: Response;
        try {
          res = await fetch(`${cov.base}${url}${query ? `?${query}` : ""}`, {
            method: method.toUpperCase(),
            headers: {
              authorization: `Bearer ${cov.tenant.admin}`,
              // A connection per request: one the server closed after a 413 is never reused.
              connection: "close",
              ...(text !== undefined ? { "content-type": "application/json" } : {}),
            },
            body: text,
          });
        } catch (error) {
          // A body over the limit is answered 413 before it is read, and the connection closed.
          if (Buffer.byteLength(text ?? "") <= BODY_LIMIT) {
            const cause = (error as Error & { cause?: Error }).cause?.message ?? "";
            failures.push(
              `${(error as Error).message} (${cause}): ${method} ${url} ${(text ?? "").slice(0, 200)}`,
            );
          }
          sent++;
          continue;
        }
        const reply = await res.text();
        const ms = performance.now() - t0;
        slowest = Math.max(slowest, ms);
        timings.push([ms, `${method} ${path} ${(text ?? "").length}`]);
        sent++;
        const what = `#${sent} ${method.toUpperCase()} ${url}?${query.slice(0, 200)} body ${(text ?? "").slice(0, 200)} -> ${res.status} in ${Math.round(ms)} ms: ${reply.slice(0, 300)}`;
        if (res.status >= 500) failures.push(`5xx: ${what}`);
        if (ms > STALL_MS) failures.push(`slow: ${what}`);
        if (res.status >= 400) {
          let body: { code?: unknown; message?: unknown } = {};
          try {
            body = JSON.parse(reply);
          } catch {}
          if (typeof body.code !== "string" || typeof body.message !== "string")
            failures.push(`shape: ${what}`);
        }
        for (const secret of secrets)
          if (reply.includes(secret)) failures.push(`leak of ${secret.slice(0, 12)}: ${what}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, client));
    const elapsed = performance.now() - started;
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect(sent).toBe(REQUESTS);
    const health = await fetch(`${cov.base}/healthz`);
    expect(health.status).toBe(200);
    const grown = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    expect(grown, `RSS grew by ${Math.round(grown)} MB`).toBeLessThan(1024);
    timings.sort((x, y) => y[0] - x[0]);
    // The figures are for people running it by hand; CI stays quiet on success.
    if (process.env.CI !== "true") {
      console.info(
        timings
          .slice(0, 8)
          .map(([ms, w]) => `${Math.round(ms)} ms ${w}`)
          .join("\n"),
      );
      console.info(
        `fuzz seed ${SEED}: ${sent} requests in ${Math.round(elapsed)} ms, slowest ${Math.round(slowest)} ms, RSS +${Math.round(grown)} MB`,
      );
    }
  }, 180_000);
});
