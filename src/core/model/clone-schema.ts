import type { Column, EnumType, ForeignKey, SchemaState, TableSchema, UniqueConstraint } from "./schema.ts";
import type { NormalizedType } from "./type-family.ts";

// Deep copies of the schema model, written out by hand: structuredClone serializes and was a
// visible share of the replay (every view column, every cached base snapshot). Each copy
// spreads its object first, so a field added to the model later is kept (shared, not lost).

export const cloneType = (t: NormalizedType): NormalizedType =>
  t.values ? { ...t, values: [...t.values] } : { ...t };

export const cloneColumn = (c: Column): Column => {
  const out: Column = { ...c, type: cloneType(c.type) };
  if (c.acceptedValues) out.acceptedValues = [...c.acceptedValues];
  if (c.acceptedValuesLocation) out.acceptedValuesLocation = { ...c.acceptedValuesLocation };
  if (c.domainNotNull) out.domainNotNull = { ...c.domainNotNull };
  if (c.location) out.location = { ...c.location };
  return out;
};

const cloneUnique = (u: UniqueConstraint): UniqueConstraint => {
  const out: UniqueConstraint = { ...u, columns: [...u.columns] };
  if (u.location) out.location = { ...u.location };
  return out;
};

const cloneForeignKey = (f: ForeignKey): ForeignKey => {
  const out: ForeignKey = {
    ...f,
    columns: [...f.columns],
    references: { ...f.references, columns: [...f.references.columns] },
  };
  if (f.location) out.location = { ...f.location };
  return out;
};

export const cloneTable = (t: TableSchema): TableSchema => {
  const out: TableSchema = {
    ...t,
    columns: t.columns.map(cloneColumn),
    uniques: t.uniques.map(cloneUnique),
    foreignKeys: t.foreignKeys.map(cloneForeignKey),
  };
  if (t.primaryKey) {
    out.primaryKey = { ...t.primaryKey, columns: [...t.primaryKey.columns] };
    if (t.primaryKey.location) out.primaryKey.location = { ...t.primaryKey.location };
  }
  if (t.location) out.location = { ...t.location };
  if (t.dbt) {
    out.dbt = { ...t.dbt };
    if (t.dbt.disabledAt) out.dbt.disabledAt = { ...t.dbt.disabledAt };
    if (t.dbt.columnsAt) out.dbt.columnsAt = { ...t.dbt.columnsAt };
  }
  return out;
};

export const cloneEnum = (e: EnumType): EnumType => {
  const out: EnumType = { ...e, values: [...e.values] };
  if (e.location) out.location = { ...e.location };
  return out;
};

export const cloneSchemaState = (s: SchemaState): SchemaState => {
  const out: SchemaState = {
    datasets: new Map([...s.datasets].map(([name, t]) => [name, cloneTable(t)])),
    enums: new Map([...s.enums].map(([name, e]) => [name, cloneEnum(e)])),
  };
  if (s.domains)
    out.domains = new Map([...s.domains].map(([name, d]) => [name, { ...d, type: cloneType(d.type) }]));
  return out;
};
