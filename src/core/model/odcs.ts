import { CovenantError, type ErrorDetail } from "../errors.ts";
import {
  type Contract,
  type ContractColumn,
  ContractSchema,
  contractOwners,
  describeContractIssues,
  type QualityRule,
} from "./contract.ts";
import { isKnownType, normalizeType } from "./normalize-type.ts";
import type { TypeFamily } from "./type-family.ts";

/**
 * Open Data Contract Standard v3 import and export. One ODCS schema object becomes one Covenant
 * dataset; what Covenant has no place for (servers, pricing, roles, tags…) is dropped on import,
 * and what ODCS has no field for (enforcement, restrict_pii, dataset type, deprecation) travels
 * in `customProperties` so a round trip keeps it.
 */

export const ODCS_API_VERSION = "v3.0.2";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** An ODCS document announces itself; a Covenant contract has neither key. */
export const isOdcsDocument = (doc: unknown): doc is Obj =>
  isObj(doc) && doc.kind === "DataContract" && typeof doc.apiVersion === "string";

const LOGICAL_TYPE: Record<TypeFamily, string> = {
  string: "string",
  integer: "integer",
  number: "number",
  boolean: "boolean",
  date: "date",
  timestamp: "timestamp",
  json: "object",
  binary: "string",
  uuid: "string",
  other: "string",
};

/** Families ODCS has no logical type for: exported as the family name in `physicalType`. */
const FAMILIES_WITHOUT_LOGICAL_TYPE = new Set<TypeFamily>(["json", "binary", "uuid", "other"]);

const FROM_LOGICAL_TYPE: Record<string, string> = {
  string: "string",
  integer: "integer",
  number: "number",
  boolean: "boolean",
  date: "date",
  timestamp: "timestamp",
  object: "json",
  array: "json",
};

const STATUS_FROM_ODCS: Record<string, Contract["status"]> = {
  proposed: "draft",
  draft: "draft",
  active: "active",
  deprecated: "deprecated",
  retired: "archived",
  archived: "archived",
};

const fail = (message: string, details: ErrorDetail[] = []): never => {
  throw new CovenantError("invalid_input", message, details.length > 0 ? details : [{ message }]);
};

const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v : undefined);

const customProperties = (list: unknown): Map<string, unknown> => {
  const out = new Map<string, unknown>();
  if (!Array.isArray(list)) return out;
  for (const item of list) {
    if (isObj(item) && typeof item.property === "string") out.set(item.property, item.value);
  }
  return out;
};

const toBool = (v: unknown): boolean | undefined =>
  typeof v === "boolean" ? v : v === "true" ? true : v === "false" ? false : undefined;

const MINUTES_PER_UNIT: Record<string, number> = {
  s: 1 / 60,
  sec: 1 / 60,
  second: 1 / 60,
  seconds: 1 / 60,
  m: 1,
  min: 1,
  mins: 1,
  minute: 1,
  minutes: 1,
  h: 60,
  hr: 60,
  hour: 60,
  hours: 60,
  d: 1440,
  day: 1440,
  days: 1440,
};

const asOwner = (name: string): string => (name.startsWith("@") ? name : `@${name}`);

/** Covenant quality rules that ODCS's library covers natively; the rest travel as `custom`. */
const importQuality = (
  q: unknown,
  column: string | undefined,
  index: number,
): QualityRule | { acceptedValues: unknown[] } | undefined => {
  if (!isObj(q)) return undefined;
  const id = str(q.name) ?? str(q.id) ?? `${column ?? "dataset"}_${index + 1}`;
  const base = {
    id,
    ...(column ? { column } : {}),
    ...(str(q.description) ? { description: q.description as string } : {}),
  };
  if (q.type === "custom" && q.engine === "covenant" && isObj(q.implementation)) {
    return { ...(q.implementation as Obj), ...base } as QualityRule;
  }
  const rule = str(q.rule) ?? str(q.metric);
  if ((q.type === "library" || q.type === undefined) && rule) {
    switch (rule) {
      case "nullCheck":
      case "nullValues":
      case "missingValues":
        return { ...base, type: "not_null" } as QualityRule;
      case "duplicateCount":
      case "duplicateValues":
        return { ...base, type: "unique" } as QualityRule;
      case "validValues":
      case "invalidValues": {
        const values = (q.validValues ??
          (isObj(q.arguments) ? q.arguments.validValues : undefined)) as unknown[];
        // A nameless validValues on a property is the column's accepted values, not a rule.
        if (!str(q.name) && column) return { acceptedValues: values };
        return { ...base, type: "accepted_values", values } as unknown as QualityRule;
      }
      case "rowCount": {
        const min = q.mustBeGreaterThanOrEqualTo ?? q.mustBeGreaterOrEqualTo ?? q.mustBeGreaterThan;
        const max = q.mustBeLessThanOrEqualTo ?? q.mustBeLessOrEqualTo ?? q.mustBeLessThan;
        return {
          ...base,
          type: "row_count",
          ...(min !== undefined ? { min } : {}),
          ...(max !== undefined ? { max } : {}),
        } as QualityRule;
      }
    }
  }
  if (q.type === "sql" && str(q.query)) {
    const query = q.query as string;
    const m = /^SELECT COUNT\(\*\) FROM \S+ WHERE NOT \((.*)\)$/is.exec(query.trim());
    return (
      m?.[1] ? { ...base, type: "sql", expression: m[1] } : { ...base, type: "sql", query }
    ) as QualityRule;
  }
  if (q.type === "custom" && (str(q.implementation) || isObj(q.implementation))) {
    const implementation =
      typeof q.implementation === "string" ? q.implementation : JSON.stringify(q.implementation);
    return {
      ...base,
      type: "custom",
      ...(str(q.engine) ? { engine: q.engine as string } : {}),
      implementation,
    } as QualityRule;
  }
  // Plain-text expectations have nothing a machine can check.
  return undefined;
};

/** Where a Covenant path came from in the ODCS document, so errors point at the right line. */
const odcsPath = (path: string): string => {
  const col = /^schema\.columns\[(\d+)\](?:\.(\w+))?/.exec(path);
  if (col) {
    const field = col[2] === "type" ? "physicalType" : col[2];
    return `schema[0].properties[${col[1]}]${field ? `.${field}` : ""}`;
  }
  if (path.startsWith("dataset")) return "schema[0]";
  const top = /^(name|version|status|description)\b/.exec(path);
  if (top) return top[1] as string;
  if (path.startsWith("owner")) return "team";
  return "";
};

/** Converts an ODCS v3 document into a Covenant contract; throws `invalid_input` naming what is wrong. */
export const importOdcs = (doc: unknown): Contract => {
  if (!isObj(doc)) return fail("ODCS document must be a mapping");
  const apiVersion = String(doc.apiVersion ?? "");
  if (!/^v3(\.|$)/.test(apiVersion)) {
    return fail(
      `ODCS apiVersion "${apiVersion}" is not supported: Covenant reads ODCS v3 (apiVersion: v3.x)`,
      [{ path: "apiVersion", message: `apiVersion "${apiVersion}" is not supported: use v3.x` }],
    );
  }
  if (doc.kind !== "DataContract") {
    return fail(`ODCS kind must be DataContract`, [{ path: "kind", message: "kind must be DataContract" }]);
  }
  const objects = Array.isArray(doc.schema) ? doc.schema : [];
  if (objects.length !== 1) {
    return fail(
      `ODCS contract describes ${objects.length} schema objects; a Covenant contract covers exactly one dataset: split it into one contract per table`,
      [{ path: "schema", message: `must hold exactly one schema object, found ${objects.length}` }],
    );
  }
  const object = objects[0];
  if (!isObj(object))
    return fail("ODCS schema[0] must be a mapping", [{ path: "schema[0]", message: "must be a mapping" }]);

  const custom = customProperties(doc.customProperties);
  const datasetName = str(object.physicalName) ?? str(object.name);
  if (!datasetName) {
    return fail("ODCS schema[0] has neither physicalName nor name", [
      { path: "schema[0]", message: "needs physicalName or name: the table Covenant should check" },
    ]);
  }
  const datasetType =
    (str(custom.get("datasetType")) as Contract["dataset"]["type"] | undefined) ??
    (String(object.physicalType ?? "").toLowerCase() === "view" ? "view" : "table");

  const properties = Array.isArray(object.properties) ? object.properties : [];
  const pk: Array<{ name: string; position: number }> = [];
  const quality: QualityRule[] = [];
  const columns = properties.map((p, i): Obj => {
    if (!isObj(p)) return {};
    const name = String(p.name ?? "");
    const props = customProperties(p.customProperties);
    const physical = str(p.physicalType);
    const logical = str(p.logicalType)?.toLowerCase();
    const type =
      physical && isKnownType(physical)
        ? physical
        : (FROM_LOGICAL_TYPE[logical ?? ""] ?? physical ?? logical ?? "");
    const classification = str(p.classification);
    const pii = toBool(props.get("pii")) ?? (classification?.toLowerCase() === "pii" ? true : undefined);
    if (p.primaryKey === true) {
      const pos =
        typeof p.primaryKeyPosition === "number" && p.primaryKeyPosition > 0 ? p.primaryKeyPosition : 1e6 + i;
      pk.push({ name, position: pos });
    }
    let acceptedValues: unknown[] | undefined;
    (Array.isArray(p.quality) ? p.quality : []).forEach((q, qi) => {
      const rule = importQuality(q, name, qi);
      if (rule && "acceptedValues" in rule) acceptedValues = rule.acceptedValues;
      else if (rule) quality.push(rule);
    });
    return {
      name,
      type,
      required: p.required === true,
      ...(typeof p.unique === "boolean" ? { unique: p.unique } : {}),
      ...(pii !== undefined ? { pii } : {}),
      ...(classification && classification.toLowerCase() !== "pii" ? { classification } : {}),
      ...(str(p.description) ? { description: p.description } : {}),
      ...(acceptedValues ? { accepted_values: acceptedValues } : {}),
    };
  });
  (Array.isArray(object.quality) ? object.quality : []).forEach((q, qi) => {
    const rule = importQuality(q, undefined, qi);
    if (rule && !("acceptedValues" in rule)) quality.push(rule);
  });

  const team = Array.isArray(doc.team) ? doc.team.filter(isObj) : [];
  const named = team.filter((m) => str(m.username) ?? str(m.name));
  const owners = named.filter((m) => String(m.role ?? "").toLowerCase() === "owner");
  const ownerNames = (owners.length > 0 ? owners : named).map((m) =>
    asOwner((str(m.username) ?? str(m.name)) as string),
  );
  const ownerFromCustom = custom.get("owner");

  const sla = Array.isArray(doc.slaProperties) ? doc.slaProperties.filter(isObj) : [];
  const latency = sla.find((s) => s.property === "latency" || s.property === "freshness");
  const completeness = sla.find((s) => s.property === "completeness");
  let freshness: Obj | undefined;
  if (latency && typeof latency.value === "number") {
    const unit = String(latency.unit ?? "m").toLowerCase();
    const factor = MINUTES_PER_UNIT[unit];
    if (factor === undefined) {
      return fail(`ODCS slaProperties latency unit "${unit}" is not understood: use m, h or d`, [
        {
          path: `slaProperties[${sla.indexOf(latency)}].unit`,
          message: `unit "${unit}" is not understood: use m, h or d`,
        },
      ]);
    }
    const element = str(latency.element) ?? str(custom.get("freshnessColumn"));
    const column = element?.split(".").pop();
    if (column) freshness = { column, max_lag_minutes: latency.value * factor };
  }

  const description = isObj(doc.description)
    ? (str(doc.description.purpose) ?? str(doc.description.usage))
    : str(doc.description);
  const rawStatus = String(doc.status ?? "draft").toLowerCase();
  const deprecationReason = str(custom.get("deprecationReason"));
  const successor = str(custom.get("successor"));

  const candidate: Obj = {
    name: str(doc.name) ?? str(doc.id),
    version: doc.version,
    status: STATUS_FROM_ODCS[rawStatus] ?? rawStatus,
    owner:
      ownerNames.length === 1
        ? ownerNames[0]
        : ownerNames.length > 1
          ? ownerNames
          : typeof ownerFromCustom === "string"
            ? ownerFromCustom
            : ownerFromCustom,
    ...(custom.has("enforcement") ? { enforcement: custom.get("enforcement") } : {}),
    ...(description ? { description } : {}),
    dataset: { type: datasetType, name: datasetName },
    ...(custom.has("restrictPii") ? { restrict_pii: toBool(custom.get("restrictPii")) } : {}),
    schema: {
      ...(pk.length > 0
        ? { primary_key: pk.sort((a, b) => a.position - b.position).map((p) => p.name) }
        : {}),
      columns,
    },
    ...(quality.length > 0 ? { quality } : {}),
    ...(freshness || completeness
      ? {
          sla: {
            ...(freshness ? { freshness } : {}),
            ...(completeness ? { completeness_pct: completeness.value } : {}),
          },
        }
      : {}),
    ...(deprecationReason
      ? { deprecation: { reason: deprecationReason, ...(successor ? { successor } : {}) } }
      : {}),
  };

  const result = ContractSchema.safeParse(candidate, { reportInput: true });
  if (!result.success) {
    const issues = describeContractIssues(result.error.issues);
    const details = issues.map((issue, i) => ({
      path: odcsPath(
        result.error.issues[i]?.path
          .map(String)
          .join(".")
          .replace(/\.(\d+)/g, "[$1]") ?? "",
      ),
      message: `ODCS import: ${issue.message}`,
    }));
    return fail(
      `ODCS contract does not map to a valid Covenant contract: ${issues.map((i) => i.message).join("; ")}`,
      details,
    );
  }
  return result.data;
};

const exportQuality = (rule: QualityRule, table: string): Obj => {
  const head: Obj = {
    name: rule.id,
    ...(rule.description !== undefined ? { description: rule.description } : {}),
  };
  switch (rule.type) {
    case "not_null":
      return { ...head, type: "library", rule: "nullCheck", mustBe: 0 };
    case "unique":
      return { ...head, type: "library", rule: "duplicateCount", mustBe: 0 };
    case "accepted_values":
      return { ...head, type: "library", rule: "validValues", validValues: rule.values };
    case "row_count":
      return {
        ...head,
        type: "library",
        rule: "rowCount",
        ...(rule.min !== undefined ? { mustBeGreaterThanOrEqualTo: rule.min } : {}),
        ...(rule.max !== undefined ? { mustBeLessThanOrEqualTo: rule.max } : {}),
      };
    case "sql":
      if (rule.expression !== undefined) {
        return {
          ...head,
          type: "sql",
          query: `SELECT COUNT(*) FROM ${table} WHERE NOT (${rule.expression})`,
          mustBe: 0,
        };
      }
      return { ...head, type: "sql", query: rule.query, mustBe: 0 };
    default: {
      // ODCS has no regex or range rule: keep Covenant's own definition under a custom engine.
      const { id: _id, column: _column, description: _description, ...implementation } = rule;
      return { ...head, type: "custom", engine: "covenant", implementation };
    }
  }
};

const exportProperty = (column: ContractColumn, contract: Contract, table: string): Obj => {
  const t = normalizeType(column.type);
  const pkIndex =
    contract.schema.primary_key?.findIndex((k) => k.toLowerCase() === column.name.toLowerCase()) ?? -1;
  const quality: Obj[] = [];
  if (column.accepted_values)
    quality.push({ type: "library", rule: "validValues", validValues: column.accepted_values });
  for (const rule of contract.quality ?? []) {
    if (rule.column?.toLowerCase() === column.name.toLowerCase()) quality.push(exportQuality(rule, table));
  }
  const physicalType = !t.familyOnly || FAMILIES_WITHOUT_LOGICAL_TYPE.has(t.family) ? column.type : undefined;
  const classification = column.classification ?? (column.pii ? "pii" : undefined);
  return {
    name: column.name,
    logicalType: t.array ? "array" : LOGICAL_TYPE[t.family],
    ...(physicalType !== undefined ? { physicalType } : {}),
    required: column.required,
    ...(column.unique !== undefined ? { unique: column.unique } : {}),
    ...(pkIndex >= 0 ? { primaryKey: true, primaryKeyPosition: pkIndex + 1 } : {}),
    ...(classification !== undefined ? { classification } : {}),
    ...(column.description !== undefined ? { description: column.description } : {}),
    ...(quality.length > 0 ? { quality } : {}),
    // Classification holds one word; a PII column with another classification keeps both.
    ...(column.pii && column.classification !== undefined
      ? { customProperties: [{ property: "pii", value: true }] }
      : {}),
    ...(column.pii === false ? { customProperties: [{ property: "pii", value: false }] } : {}),
  };
};

/** Converts a Covenant contract into an ODCS v3 document (a plain object ready for YAML). */
export const exportOdcs = (contract: Contract): Record<string, unknown> => {
  const table = contract.dataset.name;
  const shortName = table.split(".").pop() ?? table;
  const schemaQuality = (contract.quality ?? [])
    .filter((q) => q.column === undefined)
    .map((q) => exportQuality(q, table));
  const slaProperties: Obj[] = [];
  if (contract.sla?.freshness) {
    slaProperties.push({
      property: "latency",
      value: contract.sla.freshness.max_lag_minutes,
      unit: "m",
      element: `${shortName}.${contract.sla.freshness.column}`,
    });
  }
  if (contract.sla?.completeness_pct !== undefined) {
    slaProperties.push({ property: "completeness", value: contract.sla.completeness_pct, unit: "percent" });
  }
  const custom: Obj[] = [
    { property: "enforcement", value: contract.enforcement },
    { property: "restrictPii", value: contract.restrict_pii },
    { property: "datasetType", value: contract.dataset.type },
  ];
  if (contract.deprecation) {
    custom.push({ property: "deprecationReason", value: contract.deprecation.reason });
    if (contract.deprecation.successor)
      custom.push({ property: "successor", value: contract.deprecation.successor });
  }
  return {
    apiVersion: ODCS_API_VERSION,
    kind: "DataContract",
    id: contract.name,
    name: contract.name,
    version: contract.version,
    status: contract.status,
    ...(contract.description !== undefined ? { description: { purpose: contract.description } } : {}),
    schema: [
      {
        name: shortName,
        physicalName: table,
        logicalType: "object",
        physicalType: contract.dataset.type === "view" ? "view" : "table",
        properties: contract.schema.columns.map((c) => exportProperty(c, contract, table)),
        ...(schemaQuality.length > 0 ? { quality: schemaQuality } : {}),
      },
    ],
    team: contractOwners(contract).map((username) => ({ username, role: "owner" })),
    ...(slaProperties.length > 0 ? { slaProperties } : {}),
    customProperties: custom,
  };
};
