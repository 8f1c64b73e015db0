import type { Change, ChangeKind } from "../model/change.ts";
import { compareTypes, formatType } from "../model/normalize-type.ts";
import type {
  Column,
  EnumType,
  ForeignKey,
  SchemaState,
  SourceLocation,
  TableSchema,
  UniqueConstraint,
} from "../model/schema.ts";
import type { SchemaEvent } from "../model/schema-event.ts";
import type { NormalizedType } from "../model/type-family.ts";

export type { SchemaEvent };

export type DiffInput = { base: SchemaState; head: SchemaState; events: readonly SchemaEvent[] };

const lower = (s: string): string => s.toLowerCase();

/**
 * Follows the PR's events to learn which head dataset/column descends from which base one.
 * Only explicit renames move an identity: a column dropped and re-added under the same name is
 * the same column (judged by its net effect), and a drop + add under another name is never
 * guessed to be a rename.
 */
type Lineage = {
  /** head dataset name -> base dataset name */
  datasets: Map<string, string>;
  /** base dataset name -> (head column name -> base column name) */
  columns: Map<string, Map<string, string>>;
  /** Last statement that touched each head dataset / head column / dropped base object. */
  datasetTouched: Map<string, SourceLocation>;
  columnTouched: Map<string, SourceLocation>;
  datasetDropped: Map<string, SourceLocation>;
  columnDropped: Map<string, SourceLocation>;
  constraintTouched: Map<string, SourceLocation>;
  enumTouched: Map<string, SourceLocation>;
};

const key = (dataset: string, column: string): string => `${dataset}\u0000${lower(column)}`;

const traceLineage = (base: SchemaState, head: SchemaState, events: readonly SchemaEvent[]): Lineage => {
  // current name -> base origin (only for objects that exist in the base)
  const datasetOrigin = new Map<string, string>();
  for (const name of base.datasets.keys()) datasetOrigin.set(name, name);
  const columnOrigin = new Map<string, Map<string, string>>();
  const columnsOf = (origin: string): Map<string, string> => {
    let map = columnOrigin.get(origin);
    if (!map) {
      map = new Map();
      for (const column of base.datasets.get(origin)?.columns ?? []) map.set(lower(column.name), column.name);
      columnOrigin.set(origin, map);
    }
    return map;
  };
  const originInUse = (origin: string): boolean => [...datasetOrigin.values()].includes(origin);
  const lineage: Lineage = {
    datasets: new Map(),
    columns: columnOrigin,
    datasetTouched: new Map(),
    columnTouched: new Map(),
    datasetDropped: new Map(),
    columnDropped: new Map(),
    constraintTouched: new Map(),
    enumTouched: new Map(),
  };
  // Locations are recorded under the base origin while it is known, so that a later rename of
  // the dataset does not lose where its columns were changed.
  const datasetKeyOf = (current: string): string => datasetOrigin.get(current) ?? `+${current}`;

  for (const event of events) {
    switch (event.kind) {
      case "dataset-created": {
        if (
          !datasetOrigin.has(event.dataset) &&
          base.datasets.has(event.dataset) &&
          !originInUse(event.dataset)
        ) {
          datasetOrigin.set(event.dataset, event.dataset);
        }
        lineage.datasetTouched.set(datasetKeyOf(event.dataset), event.location);
        break;
      }
      case "dataset-redefined":
        lineage.datasetTouched.set(datasetKeyOf(event.dataset), event.location);
        break;
      case "dataset-dropped": {
        const origin = datasetOrigin.get(event.dataset);
        if (origin !== undefined) {
          lineage.datasetDropped.set(origin, event.location);
          datasetOrigin.delete(event.dataset);
        }
        break;
      }
      case "dataset-renamed": {
        const origin = datasetOrigin.get(event.dataset);
        if (origin !== undefined) {
          datasetOrigin.delete(event.dataset);
          datasetOrigin.set(event.to, origin);
        }
        lineage.datasetTouched.set(datasetKeyOf(event.to), event.location);
        break;
      }
      case "column-added":
      case "column-altered": {
        const origin = datasetOrigin.get(event.dataset);
        if (origin !== undefined) {
          const columns = columnsOf(origin);
          const baseColumn = base.datasets
            .get(origin)
            ?.columns.find((c) => lower(c.name) === lower(event.column));
          if (
            event.kind === "column-added" &&
            !columns.has(lower(event.column)) &&
            baseColumn &&
            ![...columns.values()].includes(baseColumn.name)
          ) {
            columns.set(lower(event.column), baseColumn.name);
          }
        }
        lineage.columnTouched.set(key(datasetKeyOf(event.dataset), event.column), event.location);
        break;
      }
      case "column-dropped": {
        const origin = datasetOrigin.get(event.dataset);
        if (origin !== undefined) {
          const columns = columnsOf(origin);
          const baseName = columns.get(lower(event.column));
          if (baseName !== undefined) {
            lineage.columnDropped.set(key(origin, baseName), event.location);
            columns.delete(lower(event.column));
          }
        }
        lineage.columnTouched.delete(key(datasetKeyOf(event.dataset), event.column));
        break;
      }
      case "column-renamed": {
        const origin = datasetOrigin.get(event.dataset);
        if (origin !== undefined) {
          const columns = columnsOf(origin);
          const baseName = columns.get(lower(event.column));
          if (baseName !== undefined) {
            columns.delete(lower(event.column));
            columns.set(lower(event.to), baseName);
          }
        }
        lineage.columnTouched.set(key(datasetKeyOf(event.dataset), event.to), event.location);
        break;
      }
      case "constraint-changed":
        lineage.constraintTouched.set(datasetKeyOf(event.dataset), event.location);
        break;
      case "enum-changed":
        // The first statement of the PR that alters the enum: a RENAME VALUE followed by ADD VALUE
        // removes the old label at the rename.
        if (!lineage.enumTouched.has(event.enum)) lineage.enumTouched.set(event.enum, event.location);
        break;
    }
  }

  for (const [current, origin] of datasetOrigin) {
    if (head.datasets.has(current)) lineage.datasets.set(current, origin);
  }
  // Without events (a dbt project, or a base snapshot diffed without replay), same name = same dataset.
  const used = new Set(lineage.datasets.values());
  for (const name of head.datasets.keys()) {
    if (!lineage.datasets.has(name) && base.datasets.has(name) && !used.has(name)) {
      lineage.datasets.set(name, name);
      used.add(name);
    }
  }
  for (const [headName, baseName] of movedDbtModels(base, head, lineage))
    lineage.datasets.set(headName, baseName);
  return lineage;
};

/** What identifies a dbt model apart from its name: its project and its columns' names and types. */
const dbtShape = (table: TableSchema): string | undefined => {
  if (!table.dbt?.enabled || !table.columnsKnown || table.columns.length === 0) return undefined;
  const columns = table.columns.map((column) => `${lower(column.name)} ${formatType(column.type)}`).sort();
  return JSON.stringify([table.dbt.project ?? "", columns]);
};

/**
 * dbt has no RENAME: a model moved to another file (orders.sql -> fct_orders.sql, its YAML entry
 * renamed too) shows as one model gone and one new. When a model of the base is gone and exactly
 * one new model of the same project has the same columns (names and types), and no other gone
 * model shares that shape, it is the same model under a new name: head name -> base name.
 * Anything ambiguous stays a removal plus an addition.
 */
const movedDbtModels = (base: SchemaState, head: SchemaState, lineage: Lineage): Map<string, string> => {
  const matchedBase = new Set(lineage.datasets.values());
  const byShape = (entries: Iterable<[string, TableSchema]>, skip: (name: string) => boolean) => {
    const groups = new Map<string, string[]>();
    for (const [name, table] of entries) {
      const shape = table.kind === "dbt_model" && !skip(name) ? dbtShape(table) : undefined;
      if (shape !== undefined) groups.set(shape, [...(groups.get(shape) ?? []), name]);
    }
    return groups;
  };
  const gone = byShape(base.datasets, (name) => matchedBase.has(name) || head.datasets.has(name));
  const added = byShape(head.datasets, (name) => lineage.datasets.has(name) || base.datasets.has(name));
  const moved = new Map<string, string>();
  for (const [shape, names] of gone) {
    const to = added.get(shape);
    if (names.length === 1 && to?.length === 1) moved.set(to[0]!, names[0]!);
  }
  return moved;
};

const enumValuesOf = (column: Column, state: SchemaState): string[] | undefined => {
  if (column.type.values) return column.type.values;
  const found = findEnum(state, column.type.base);
  return found?.values;
};

const findEnum = (state: SchemaState, name: string): EnumType | undefined => {
  const exact = state.enums.get(name);
  if (exact) return exact;
  const bare = lower(name).split(".").pop() ?? name;
  for (const [enumName, value] of state.enums) {
    if (lower(enumName) === lower(name) || lower(enumName).split(".").pop() === bare) return value;
  }
  return undefined;
};

/** dbt columns without `data_type` (and expressions nobody typed) carry no type to compare. */
export const isUnknownType = (t: NormalizedType): boolean => t.family === "other" && t.base === "unknown";

const withoutValues = (t: NormalizedType): NormalizedType => {
  const { values: _values, ...rest } = t;
  return rest;
};

const normalizeDefault = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : value.trim().replace(/\s+/g, " ").toLowerCase();

const columnsKey = (columns: readonly string[]): string => columns.map(lower).join(",");
const fkKey = (fk: ForeignKey): string =>
  `${columnsKey(fk.columns)}->${lower(fk.references.dataset)}(${columnsKey(fk.references.columns)})`;

/**
 * Schema before vs after -> every change, for every dataset, contracted or not. Each change
 * carries the location of the statement in the PR that caused it when the events know it, else
 * the head (or, for removals, the base) definition.
 */
export const diffSchemas = ({ base, head, events }: DiffInput): Change[] => {
  const lineage = traceLineage(base, head, events);
  const changes: Change[] = [];
  const matchedBase = new Set(lineage.datasets.values());

  for (const [name, baseTable] of base.datasets) {
    if (matchedBase.has(name)) continue;
    changes.push({
      kind: "dataset-removed",
      dataset: name,
      location: lineage.datasetDropped.get(name) ?? baseTable.location,
    });
  }

  for (const [headName, headTable] of head.datasets) {
    const baseName = lineage.datasets.get(headName);
    const baseTable = baseName === undefined ? undefined : base.datasets.get(baseName);
    const touched = lineage.datasetTouched.get(baseName ?? `+${headName}`);
    if (!baseTable || baseName === undefined) {
      if (headTable.dbt && !headTable.dbt.enabled) continue;
      changes.push({ kind: "dataset-added", dataset: headName, location: touched ?? headTable.location });
      continue;
    }
    if (headTable.dbt && !headTable.dbt.enabled && baseTable.dbt?.enabled !== false) {
      // dbt no longer builds it: for its readers the same as a deletion, but the fix differs.
      const location = headTable.dbt.disabledAt ?? headTable.location ?? touched;
      changes.push({
        kind: "dataset-removed",
        dataset: baseName,
        after: "disabled",
        ...(location ? { location } : {}),
      });
      continue;
    }
    if (baseName !== headName) {
      changes.push({
        kind: "dataset-renamed",
        dataset: baseName,
        to: headName,
        before: baseName,
        after: headName,
        location: touched ?? headTable.location,
      });
    }
    changes.push(...diffTable({ base, head, baseTable, headTable, baseName, headName, lineage }));
  }

  changes.push(...diffEnums(base, head, lineage, changes));
  return changes;
};

type TableDiffInput = {
  base: SchemaState;
  head: SchemaState;
  baseTable: TableSchema;
  headTable: TableSchema;
  baseName: string;
  headName: string;
  lineage: Lineage;
};

const diffTable = (input: TableDiffInput): Change[] => {
  const { base, head, baseTable, headTable, baseName, headName, lineage } = input;
  const changes: Change[] = [];
  const columnMap = lineage.columns.get(baseName);
  // head column (lower) -> base column name
  const headToBase = new Map<string, string>();
  for (const column of headTable.columns) {
    const mapped = columnMap?.get(lower(column.name));
    if (mapped !== undefined) headToBase.set(lower(column.name), mapped);
  }
  const usedBase = new Set([...headToBase.values()].map(lower));
  for (const column of headTable.columns) {
    if (headToBase.has(lower(column.name))) continue;
    const same = baseTable.columns.find((c) => lower(c.name) === lower(column.name));
    if (same && !usedBase.has(lower(same.name)) && !lineage.columnDropped.has(key(baseName, same.name))) {
      headToBase.set(lower(column.name), same.name);
      usedBase.add(lower(same.name));
    }
  }
  // A dropped and re-added column is judged by its net effect: match it by name after all.
  for (const column of headTable.columns) {
    if (headToBase.has(lower(column.name))) continue;
    const same = baseTable.columns.find((c) => lower(c.name) === lower(column.name));
    if (same && !usedBase.has(lower(same.name))) {
      headToBase.set(lower(column.name), same.name);
      usedBase.add(lower(same.name));
    }
  }

  const columnLocation = (headColumn: Column): SourceLocation | undefined =>
    lineage.columnTouched.get(key(baseName, headColumn.name)) ?? headColumn.location ?? headTable.location;
  const make = (kind: ChangeKind, column: string, extra: Partial<Change>): Change => ({
    kind,
    dataset: headName,
    column,
    ...extra,
  });

  // A dbt column that leaves the YAML has no line at the head (its old line number is another
  // column there): point at the model's `columns:`, or at the SQL when only the SQL selected it.
  const dbtRemovedAt = (baseColumn: Column): SourceLocation | undefined =>
    headTable.dbt ? (!baseColumn.undeclared && headTable.dbt.columnsAt) || headTable.location : undefined;
  if (headTable.columnsKnown) {
    for (const baseColumn of baseTable.columns) {
      if (usedBase.has(lower(baseColumn.name))) continue;
      changes.push(
        make("column-removed", baseColumn.name, {
          baseColumn,
          before: formatType(baseColumn.type),
          location:
            lineage.columnDropped.get(key(baseName, baseColumn.name)) ??
            lineage.datasetTouched.get(baseName) ??
            dbtRemovedAt(baseColumn) ??
            baseColumn.location ??
            baseTable.location,
        }),
      );
    }
  }

  for (const headColumn of headTable.columns) {
    const baseColumnName = headToBase.get(lower(headColumn.name));
    const baseColumn =
      baseColumnName === undefined ? undefined : baseTable.columns.find((c) => c.name === baseColumnName);
    const location = columnLocation(headColumn);
    if (!baseColumn) {
      // With an unknown base column list, "new" columns may have been there all along.
      if (baseTable.columnsKnown) {
        changes.push(
          make("column-added", headColumn.name, { headColumn, after: formatType(headColumn.type), location }),
        );
      }
      continue;
    }
    if (leftDeclaredContract(baseTable, baseColumn, headColumn)) {
      changes.push(
        make("column-removed", baseColumn.name, {
          baseColumn,
          headColumn,
          before: formatType(baseColumn.type),
          after: "undeclared",
          location: dbtRemovedAt(baseColumn) ?? location,
        }),
      );
      continue;
    }
    const pair = { baseColumn, headColumn, location };
    if (lower(baseColumn.name) !== lower(headColumn.name)) {
      changes.push(
        make("column-renamed", baseColumn.name, {
          ...pair,
          to: headColumn.name,
          before: baseColumn.name,
          after: headColumn.name,
        }),
      );
    }
    // An enum altered by the PR (ALTER TYPE … RENAME VALUE) changes columns no statement touched.
    const enumType = lineage.columnTouched.has(key(baseName, headColumn.name))
      ? undefined
      : findEnum(head, headColumn.type.base);
    const enumLocation = enumType ? lineage.enumTouched.get(enumType.name) : undefined;
    changes.push(...diffColumn({ base, head, headName, ...pair, ...(enumLocation ? { enumLocation } : {}) }));
  }

  const where = lineage.constraintTouched.get(baseName) ?? lineage.datasetTouched.get(baseName);
  const basePk = baseTable.primaryKey?.columns ?? [];
  const headPk = headTable.primaryKey?.columns ?? [];
  const renamedBack = (columns: readonly string[]): string[] =>
    columns.map((c) => headToBase.get(lower(c)) ?? c);
  if (columnsKey(basePk) !== columnsKey(renamedBack(headPk))) {
    changes.push({
      kind: "primary-key-changed",
      dataset: headName,
      before: basePk.length ? basePk.join(", ") : "(none)",
      after: headPk.length ? headPk.join(", ") : "(none)",
      location: where ?? headTable.primaryKey?.location ?? headTable.location,
    });
  }

  changes.push(
    ...diffKeyed<UniqueConstraint>({
      baseItems: baseTable.uniques,
      headItems: headTable.uniques,
      keyOf: (u, side) => columnsKey(side === "head" ? renamedBack(u.columns) : u.columns),
      removed: "unique-removed",
      added: "unique-added",
      describe: (u) => `unique (${u.columns.join(", ")})`,
      headName,
      where,
      fallback: headTable.location,
    }),
    ...diffKeyed<ForeignKey>({
      baseItems: baseTable.foreignKeys,
      headItems: headTable.foreignKeys,
      keyOf: (fk, side) => fkKey(side === "head" ? { ...fk, columns: renamedBack(fk.columns) } : fk),
      removed: "foreign-key-removed",
      added: "foreign-key-added",
      describe: (fk) =>
        `(${fk.columns.join(", ")}) references ${fk.references.dataset} (${fk.references.columns.join(", ")})`,
      headName,
      where,
      fallback: headTable.location,
    }),
  );

  if (baseTable.dbt && headTable.dbt) {
    if (baseTable.dbt.contractEnforced !== headTable.dbt.contractEnforced) {
      changes.push({
        kind: "dbt-contract-changed",
        dataset: headName,
        before: `enforced: ${baseTable.dbt.contractEnforced}`,
        after: `enforced: ${headTable.dbt.contractEnforced}`,
        location: headTable.location,
      });
    }
    if ((baseTable.dbt.materialized ?? "") !== (headTable.dbt.materialized ?? "")) {
      changes.push({
        kind: "dbt-materialization-changed",
        dataset: headName,
        before: baseTable.dbt.materialized ?? "(default)",
        after: headTable.dbt.materialized ?? "(default)",
        location: headTable.location,
      });
    }
  }
  return changes;
};

/**
 * The surface of a dbt model with an enforced contract is what its YAML declares: dbt checks the
 * built relation against those names and data types, and consumers rely on that. A column
 * declared with a data_type at the base that the head only selects in SQL (its YAML entry
 * deleted) still appears in the head's column list, with an unknown type, yet nothing promises
 * it any more: it is removed from the contract, whatever the SQL still does. A column that stays
 * in the YAML without its data_type is still declared (dbt refuses to build it; a finding says
 * so), and an unenforced base model promised no declared shape in the first place.
 */
const leftDeclaredContract = (baseTable: TableSchema, baseColumn: Column, headColumn: Column): boolean =>
  baseTable.dbt?.contractEnforced === true &&
  !baseColumn.undeclared &&
  !isUnknownType(baseColumn.type) &&
  headColumn.undeclared === true;

type KeyedDiff<T> = {
  baseItems: readonly T[];
  headItems: readonly T[];
  keyOf: (item: T, side: "base" | "head") => string;
  removed: ChangeKind;
  added: ChangeKind;
  describe: (item: T) => string;
  headName: string;
  where: SourceLocation | undefined;
  fallback: SourceLocation | undefined;
};

const diffKeyed = <T extends { columns: string[]; location?: SourceLocation }>(
  input: KeyedDiff<T>,
): Change[] => {
  const headKeys = new Set(input.headItems.map((item) => input.keyOf(item, "head")));
  const baseKeys = new Set(input.baseItems.map((item) => input.keyOf(item, "base")));
  const changes: Change[] = [];
  for (const item of input.baseItems) {
    if (headKeys.has(input.keyOf(item, "base"))) continue;
    changes.push({
      kind: input.removed,
      dataset: input.headName,
      ...(item.columns.length === 1 ? { column: item.columns[0] } : {}),
      before: input.describe(item),
      location: input.where ?? item.location ?? input.fallback,
    });
  }
  for (const item of input.headItems) {
    if (baseKeys.has(input.keyOf(item, "head"))) continue;
    changes.push({
      kind: input.added,
      dataset: input.headName,
      ...(item.columns.length === 1 ? { column: item.columns[0] } : {}),
      after: input.describe(item),
      location: input.where ?? item.location ?? input.fallback,
    });
  }
  return changes;
};

type ColumnDiffInput = {
  base: SchemaState;
  head: SchemaState;
  headName: string;
  baseColumn: Column;
  headColumn: Column;
  location: SourceLocation | undefined;
  /** Where the PR altered the column's enum type, for value changes. */
  enumLocation?: SourceLocation;
};

const diffColumn = ({
  base,
  head,
  headName,
  baseColumn,
  headColumn,
  location,
  enumLocation,
}: ColumnDiffInput): Change[] => {
  const changes: Change[] = [];
  const make = (kind: ChangeKind, before: string, after: string): Change => ({
    kind,
    dataset: headName,
    column: headColumn.name,
    before,
    after,
    baseColumn,
    headColumn,
    location,
  });
  const baseValues = enumValuesOf(baseColumn, base);
  const headValues = enumValuesOf(headColumn, head);
  const bothEnums = baseValues !== undefined && headValues !== undefined;
  // Enum members are judged value by value (enum-value-removed), not as a type change.
  const comparison =
    isUnknownType(baseColumn.type) || isUnknownType(headColumn.type)
      ? "same"
      : bothEnums
        ? compareTypes(withoutValues(baseColumn.type), withoutValues(headColumn.type))
        : compareTypes(baseColumn.type, headColumn.type);
  if (comparison === "changed") {
    changes.push(make("column-type-changed", formatType(baseColumn.type), formatType(headColumn.type)));
  } else if (comparison === "widened") {
    changes.push(make("column-type-widened", formatType(baseColumn.type), formatType(headColumn.type)));
  }
  if (bothEnums || baseColumn.acceptedValues || headColumn.acceptedValues) {
    const before = baseValues ?? baseColumn.acceptedValues ?? [];
    const after = headValues ?? headColumn.acceptedValues ?? [];
    // A list that appears or disappears is a constraint change, not a value change.
    if ((baseValues ?? baseColumn.acceptedValues) && (headValues ?? headColumn.acceptedValues)) {
      const removed = before.filter((v) => !after.includes(v));
      const added = after.filter((v) => !before.includes(v));
      const valuesAt = enumLocation ?? headColumn.acceptedValuesLocation;
      const at = valuesAt ? { location: valuesAt } : {};
      if (removed.length)
        changes.push({ ...make("enum-value-removed", removed.join(", "), after.join(", ")), ...at });
      if (added.length)
        changes.push({ ...make("enum-value-added", before.join(", "), added.join(", ")), ...at });
    }
  }
  if (!baseColumn.nullable && headColumn.nullable)
    changes.push(make("column-became-nullable", "NOT NULL", "NULL"));
  if (baseColumn.nullable && !headColumn.nullable)
    changes.push(make("column-became-required", "NULL", "NOT NULL"));
  const baseDefault = normalizeDefault(baseColumn.default);
  const headDefault = normalizeDefault(headColumn.default);
  if (baseDefault !== headDefault) {
    changes.push(
      make("column-default-changed", baseColumn.default ?? "(none)", headColumn.default ?? "(none)"),
    );
  }
  return changes;
};

/**
 * Enum types changed by the PR that no column change already reported (an enum no table uses
 * yet still changes a type readers may depend on).
 */
const diffEnums = (base: SchemaState, head: SchemaState, lineage: Lineage, reported: Change[]): Change[] => {
  const changes: Change[] = [];
  for (const [name, baseEnum] of base.enums) {
    const headEnum = head.enums.get(name);
    if (!headEnum) continue;
    const removed = baseEnum.values.filter((v) => !headEnum.values.includes(v));
    const added = headEnum.values.filter((v) => !baseEnum.values.includes(v));
    const location = lineage.enumTouched.get(name) ?? headEnum.location;
    const alreadyReported = (kind: ChangeKind): boolean =>
      reported.some(
        (change) =>
          change.kind === kind &&
          lower(change.headColumn?.type.base ?? "")
            .split(".")
            .pop() === lower(name).split(".").pop(),
      );
    if (removed.length && !alreadyReported("enum-value-removed")) {
      changes.push({
        kind: "enum-value-removed",
        dataset: name,
        before: removed.join(", "),
        after: headEnum.values.join(", "),
        location,
      });
    }
    if (added.length && !alreadyReported("enum-value-added")) {
      changes.push({
        kind: "enum-value-added",
        dataset: name,
        before: baseEnum.values.join(", "),
        after: added.join(", "),
        location,
      });
    }
  }
  return changes;
};
