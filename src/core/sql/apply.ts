import { cloneTable } from "../model/clone-schema.ts";
import type { Dialect } from "../model/contract-levels.ts";
import type { Finding, Unverified } from "../model/finding.ts";
import { compareTypes } from "../model/normalize-type.ts";
import type {
  Column,
  ForeignKey,
  SchemaState,
  SourceLocation,
  TableSchema,
  UniqueConstraint,
} from "../model/schema.ts";
import type { SchemaEvent } from "../model/schema-event.ts";
import type { NormalizedType } from "../model/type-family.ts";
import { mentionedNames } from "./names.ts";

/** Replay speaks the shared event model; the name stays for its callers. */
export type ReplayEvent = SchemaEvent;

export type PrimaryKey = NonNullable<TableSchema["primaryKey"]>;

export type TableSpec = {
  name: string;
  kind: "table" | "view";
  columns: Column[];
  columnsKnown: boolean;
  primaryKey?: PrimaryKey;
  uniques?: UniqueConstraint[];
  foreignKeys?: ForeignKey[];
  ifNotExists?: boolean;
  orReplace?: boolean;
  temporary?: boolean;
};

export type ColumnPatch = { type?: NormalizedType; nullable?: boolean; default?: string | null };

type Identity = {
  /** Name at the start of the file; undefined for a dataset created in the file. */
  origin?: string;
  name: string;
  alive: boolean;
  dropped?: TableSchema;
  /** Set when a dataset created in this file took the name of one that existed before it. */
  takeover?: { name: string; snapshot: TableSchema; record: number; location: SourceLocation };
  /** The last `INSERT INTO this (…) SELECT … FROM source` of plain columns in this file. */
  copiedFrom?: { identity: Identity; columns: CopiedColumn[] };
};

/** A column of the copy's target and the source column it takes (a plain column reference). */
export type CopiedColumn = { to: string; from: string };

type EventRecord = { event: ReplayEvent; identity?: Identity; suppressed?: boolean };

const sameType = (a: NormalizedType, b: NormalizedType): boolean => compareTypes(a, b) === "same";

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Applies understood DDL to a SchemaState and records one event per mutation. Dialect
 * translators call it; it knows nothing of parsers. Problems become findings, never throws.
 */
export class Applier {
  readonly state: SchemaState;
  readonly dialect: Dialect;
  readonly findings: Finding[] = [];
  readonly events: ReplayEvent[] = [];
  /** What could not be verified, with the names it mentions; each is also one of `findings`. */
  readonly unverified: Unverified[] = [];
  /** Statements the dialect's parser could not read, so far (to tell a wrong dialect). */
  unparsed = 0;
  /** MySQL and SQLite column names are case-insensitive; Postgres folds at parse time. */
  readonly caseInsensitive: boolean;
  private records: EventRecord[] = [];
  private identities = new Map<string, Identity>();
  private allIdentities = new Set<Identity>();
  /** The identity that held each name at the start of the file. */
  private origins = new Map<string, Identity>();
  private temporary = new Set<string>();
  private file = "";

  constructor(state: SchemaState, dialect: Dialect) {
    this.state = state;
    this.dialect = dialect;
    this.caseInsensitive = dialect !== "postgres";
  }

  beginFile(file: string): void {
    this.file = file;
    this.records = [];
    this.identities.clear();
    this.allIdentities.clear();
    this.origins.clear();
  }

  /**
   * A statement on a table the history never created: it fails on a database built from these
   * migrations, or the table comes from elsewhere (another history, a subfolder run as one). Its
   * effect is unknown; it counts against a contract only where it names the contracted dataset.
   */
  unknownTable(location: SourceLocation, message: string, tableName: string): void {
    const finding: Finding = { rule: "sql-parse-error", severity: "warning", ...location, message };
    this.findings.push(finding);
    this.unverified.push({ kind: "unknown-table", finding, names: [tableName.split(".")] });
  }

  warn(location: SourceLocation, message: string): void {
    this.findings.push({
      rule: "sql-parse-error",
      severity: "warning",
      file: location.file,
      line: location.line,
      message,
    });
  }

  /**
   * Records text whose effect on the schema is unknown: a statement that does not parse, code
   * that cannot be followed, or text over the limits. `text` is scanned for the names it
   * mentions, so the rules can tell which contracts it may touch.
   */
  unverifiable(kind: Unverified["kind"], location: SourceLocation, message: string, text: string): void {
    const finding: Finding = {
      rule: kind === "dynamic" ? "unverifiable-change" : "sql-parse-error",
      severity: kind === "dynamic" ? "info" : "warning",
      file: location.file,
      line: location.line,
      message,
    };
    this.findings.push(finding);
    this.unverified.push({ kind, finding, names: mentionedNames(text, this.dialect) });
    if (kind === "parse-error") this.unparsed++;
  }

  /**
   * A statement about a column the replayed schema does not have: either the model missed a
   * change or the migration fails on the real database; neither is verified.
   */
  private noSuchColumn(location: SourceLocation, message: string, tableName: string): void {
    const finding: Finding = { rule: "sql-parse-error", severity: "warning", ...location, message };
    this.findings.push(finding);
    this.unverified.push({ kind: "parse-error", finding, names: [tableName.split(".")] });
  }

  table(name: string): TableSchema | undefined {
    return this.state.datasets.get(name);
  }

  private need(name: string, location: SourceLocation, what: string): TableSchema | undefined {
    const t = this.state.datasets.get(name);
    if (!t)
      this.warn(
        location,
        `${what}: table ${name} is not defined by earlier migrations; statement skipped, analysis continued.`,
      );
    return t;
  }

  findColumn(t: TableSchema, name: string): Column | undefined {
    if (!this.caseInsensitive) return t.columns.find((c) => c.name === name);
    const lower = name.toLowerCase();
    return t.columns.find((c) => c.name.toLowerCase() === lower);
  }

  private sameName(a: string, b: string): boolean {
    return this.caseInsensitive ? a.toLowerCase() === b.toLowerCase() : a === b;
  }

  private identity(name: string): Identity {
    let id = this.identities.get(name);
    if (!id) {
      id = { origin: name, name, alive: true };
      this.identities.set(name, id);
      this.allIdentities.add(id);
      this.origins.set(name, id);
    }
    return id;
  }

  private emit(event: ReplayEvent, dataset?: string): void {
    if (dataset !== undefined && this.temporary.has(dataset)) return;
    const record: EventRecord = { event };
    if (dataset !== undefined) record.identity = this.identity(dataset);
    this.records.push(record);
  }

  private columnEvent(
    kind: "column-added" | "column-dropped" | "column-altered",
    t: TableSchema,
    column: string,
    location: SourceLocation,
  ): void {
    this.emit({ kind, dataset: t.name, column, location }, t.name);
  }

  private constraintChanged(t: TableSchema, location: SourceLocation): void {
    this.emit({ kind: "constraint-changed", dataset: t.name, location }, t.name);
  }

  // ------------------------------------------------------------------ datasets

  createTable(spec: TableSpec, location: SourceLocation): void {
    const existing = this.state.datasets.get(spec.name);
    if (existing && !spec.orReplace) {
      if (!spec.ifNotExists) {
        this.warn(
          location,
          `CREATE of ${spec.name}, which already exists; the earlier definition was kept, analysis continued.`,
        );
      }
      return;
    }
    const table: TableSchema = {
      name: spec.name,
      kind: spec.kind,
      columns: spec.columns,
      columnsKnown: spec.columnsKnown,
      uniques: spec.uniques ?? [],
      foreignKeys: spec.foreignKeys ?? [],
      location,
    };
    if (spec.primaryKey) table.primaryKey = spec.primaryKey;
    if (existing) {
      // CREATE OR REPLACE VIEW.
      this.state.datasets.set(spec.name, table);
      this.emit({ kind: "dataset-redefined", dataset: spec.name, location }, spec.name);
      for (const e of diffDefinitions(existing, table, location, this.caseInsensitive))
        this.emit(e, spec.name);
      return;
    }
    this.state.datasets.set(spec.name, table);
    if (spec.temporary) {
      this.temporary.add(spec.name);
      return;
    }
    const id: Identity = { name: spec.name, alive: true };
    this.identities.set(spec.name, id);
    this.track(id);
    this.records.push({ event: { kind: "dataset-created", dataset: spec.name, location }, identity: id });
    this.checkTakeover(id, spec.name, location);
  }

  private checkTakeover(id: Identity, name: string, location: SourceLocation): void {
    if (id.origin !== undefined) return;
    const other = this.origins.get(name);
    if (other && other !== id) this.markTakeover(id, name, location);
  }

  private markTakeover(id: Identity, name: string, location: SourceLocation): void {
    const t = this.state.datasets.get(name);
    if (!t) return;
    id.takeover = { name, snapshot: cloneTable(t), record: this.records.length - 1, location };
  }

  dropTable(
    name: string,
    opts: { ifExists?: boolean; kind?: "table" | "view" },
    location: SourceLocation,
  ): void {
    const t = this.state.datasets.get(name);
    if (!t) {
      if (!opts.ifExists)
        this.warn(
          location,
          `DROP of ${name}, which is not defined by earlier migrations; analysis continued.`,
        );
      return;
    }
    if (this.temporary.delete(name)) {
      this.state.datasets.delete(name);
      return;
    }
    const id = this.identity(name);
    this.state.datasets.delete(name);
    this.identities.delete(name);
    id.alive = false;
    id.dropped = t;
    this.records.push({ event: { kind: "dataset-dropped", dataset: name, location }, identity: id });
    this.track(id);
  }

  private track(id: Identity): void {
    this.allIdentities.add(id);
  }

  renameTable(from: string, to: string, location: SourceLocation): void {
    const t = this.need(from, location, "RENAME");
    if (!t) return;
    if (this.state.datasets.has(to)) {
      this.warn(location, `RENAME of ${from} to ${to}, which already exists; analysis continued.`);
      return;
    }
    this.state.datasets.delete(from);
    t.name = to;
    this.state.datasets.set(to, t);
    for (const other of this.state.datasets.values()) {
      for (const fk of other.foreignKeys) if (fk.references.dataset === from) fk.references.dataset = to;
    }
    if (this.temporary.delete(from)) {
      this.temporary.add(to);
      return;
    }
    const id = this.identity(from);
    this.identities.delete(from);
    id.name = to;
    this.identities.set(to, id);
    this.track(id);
    this.records.push({ event: { kind: "dataset-renamed", dataset: from, to, location }, identity: id });
    this.checkTakeover(id, to, location);
  }

  // ------------------------------------------------------------------ columns

  addColumn(
    tableName: string,
    column: Column,
    opts: { ifNotExists?: boolean },
    location: SourceLocation,
  ): void {
    const t = this.need(tableName, location, `ADD COLUMN ${column.name}`);
    if (!t) return;
    if (this.findColumn(t, column.name)) {
      if (!opts.ifNotExists)
        this.warn(location, `ADD COLUMN ${column.name}: ${tableName} already has it; analysis continued.`);
      return;
    }
    t.columns.push(column);
    this.columnEvent("column-added", t, column.name, location);
  }

  dropColumn(tableName: string, name: string, opts: { ifExists?: boolean }, location: SourceLocation): void {
    const t = this.need(tableName, location, `DROP COLUMN ${name}`);
    if (!t) return;
    const c = this.findColumn(t, name);
    if (!c) {
      if (!opts.ifExists)
        this.noSuchColumn(
          location,
          `DROP COLUMN ${name}: ${tableName} has no such column; analysis continued.`,
          tableName,
        );
      return;
    }
    t.columns = t.columns.filter((x) => x !== c);
    this.columnEvent("column-dropped", t, c.name, location);
    // Postgres drops every constraint that uses the column; MySQL shrinks the index instead.
    const shrink = this.dialect === "mysql" || this.dialect === "mariadb";
    const uses = (cols: string[]) => cols.some((x) => this.sameName(x, c.name));
    const without = (cols: string[]) => cols.filter((x) => !this.sameName(x, c.name));
    let changed = false;
    if (t.primaryKey && uses(t.primaryKey.columns)) {
      changed = true;
      const rest = without(t.primaryKey.columns);
      if (shrink && rest.length > 0) t.primaryKey.columns = rest;
      else delete t.primaryKey;
    }
    const uniques: UniqueConstraint[] = [];
    for (const u of t.uniques) {
      if (!uses(u.columns)) uniques.push(u);
      else {
        changed = true;
        const rest = without(u.columns);
        if (shrink && rest.length > 0) uniques.push({ ...u, columns: rest });
      }
    }
    t.uniques = uniques;
    const fks = t.foreignKeys.filter((fk) => !uses(fk.columns));
    if (fks.length !== t.foreignKeys.length) changed = true;
    t.foreignKeys = fks;
    if (changed) this.constraintChanged(t, location);
  }

  alterColumn(tableName: string, name: string, patch: ColumnPatch, location: SourceLocation): void {
    const t = this.need(tableName, location, `ALTER COLUMN ${name}`);
    if (!t) return;
    const c = this.findColumn(t, name);
    if (!c) {
      this.noSuchColumn(
        location,
        `ALTER COLUMN ${name}: ${tableName} has no such column; analysis continued.`,
        tableName,
      );
      return;
    }
    let changed = false;
    if (patch.type && !(sameType(c.type, patch.type) && c.type.raw === patch.type.raw)) {
      changed = true;
      c.type = patch.type;
      if (patch.type.values) c.acceptedValues = patch.type.values;
      else delete c.acceptedValues;
    }
    if (patch.nullable !== undefined && patch.nullable !== c.nullable) {
      changed = true;
      c.nullable = patch.nullable;
    }
    if (patch.default !== undefined && (patch.default ?? undefined) !== c.default) {
      changed = true;
      if (patch.default === null) delete c.default;
      else c.default = patch.default;
    }
    if (changed) {
      c.location = location;
      this.columnEvent("column-altered", t, c.name, location);
    }
  }

  /** MySQL CHANGE / MODIFY: the whole definition is replaced, possibly under a new name. */
  replaceColumn(tableName: string, oldName: string, column: Column, location: SourceLocation): void {
    const t = this.need(tableName, location, `CHANGE COLUMN ${oldName}`);
    if (!t) return;
    const c = this.findColumn(t, oldName);
    if (!c) {
      this.noSuchColumn(
        location,
        `CHANGE COLUMN ${oldName}: ${tableName} has no such column; analysis continued.`,
        tableName,
      );
      return;
    }
    if (!this.sameName(c.name, column.name)) {
      this.renameColumn(tableName, c.name, column.name, location);
    } else if (c.name !== column.name) {
      c.name = column.name;
    }
    const altered =
      !(sameType(c.type, column.type) && c.type.raw.toLowerCase() === column.type.raw.toLowerCase()) ||
      c.nullable !== column.nullable ||
      c.default !== column.default;
    const index = t.columns.indexOf(c);
    t.columns[index] = column;
    if (altered) this.columnEvent("column-altered", t, column.name, location);
  }

  renameColumn(tableName: string, from: string, to: string, location: SourceLocation): void {
    const t = this.need(tableName, location, `RENAME COLUMN ${from}`);
    if (!t) return;
    const c = this.findColumn(t, from);
    if (!c) {
      this.noSuchColumn(
        location,
        `RENAME COLUMN ${from}: ${tableName} has no such column; analysis continued.`,
        tableName,
      );
      return;
    }
    const old = c.name;
    c.name = to;
    c.location = location;
    const rename = (cols: string[]) => cols.map((x) => (this.sameName(x, old) ? to : x));
    if (t.primaryKey) t.primaryKey.columns = rename(t.primaryKey.columns);
    for (const u of t.uniques) u.columns = rename(u.columns);
    for (const fk of t.foreignKeys) fk.columns = rename(fk.columns);
    for (const other of this.state.datasets.values()) {
      for (const fk of other.foreignKeys) {
        if (fk.references.dataset === t.name) fk.references.columns = rename(fk.references.columns);
      }
    }
    this.emit({ kind: "column-renamed", dataset: t.name, column: old, to, location }, t.name);
  }

  // ------------------------------------------------------------------ constraints

  setPrimaryKey(tableName: string, pk: PrimaryKey, location: SourceLocation, impliesNotNull = true): void {
    const t = this.need(tableName, location, "ADD PRIMARY KEY");
    if (!t) return;
    t.primaryKey = { ...pk, location };
    if (impliesNotNull) {
      for (const name of pk.columns) {
        const c = this.findColumn(t, name);
        if (c?.nullable) {
          c.nullable = false;
          this.columnEvent("column-altered", t, c.name, location);
        }
      }
    }
    this.constraintChanged(t, location);
  }

  dropPrimaryKey(tableName: string, location: SourceLocation): void {
    const t = this.need(tableName, location, "DROP PRIMARY KEY");
    if (!t) return;
    if (!t.primaryKey) return;
    delete t.primaryKey;
    this.constraintChanged(t, location);
  }

  addUnique(tableName: string, u: UniqueConstraint, location: SourceLocation): void {
    const t = this.need(tableName, location, "ADD UNIQUE");
    if (!t) return;
    t.uniques.push({ ...u, location });
    this.constraintChanged(t, location);
  }

  addForeignKey(tableName: string, fk: ForeignKey, location: SourceLocation): void {
    const t = this.need(tableName, location, "ADD FOREIGN KEY");
    if (!t) return;
    t.foreignKeys.push({ ...fk, location });
    this.constraintChanged(t, location);
  }

  /**
   * Drops a named constraint or index of any kind. Returns false when no tracked constraint had
   * that name (a CHECK or a plain index, which do not change table shape).
   */
  dropConstraint(
    tableName: string,
    name: string,
    opts: { kinds?: Array<"pk" | "unique" | "fk"> },
    location: SourceLocation,
  ): boolean {
    const t = this.need(tableName, location, `DROP CONSTRAINT ${name}`);
    if (!t) return false;
    const kinds = opts.kinds ?? ["pk", "unique", "fk"];
    let changed = false;
    if (kinds.includes("pk") && t.primaryKey?.name !== undefined && this.sameName(t.primaryKey.name, name)) {
      delete t.primaryKey;
      changed = true;
    }
    if (kinds.includes("unique")) {
      const before = t.uniques.length;
      t.uniques = t.uniques.filter((u) => u.name === undefined || !this.sameName(u.name, name));
      changed ||= t.uniques.length !== before;
    }
    if (kinds.includes("fk")) {
      const before = t.foreignKeys.length;
      t.foreignKeys = t.foreignKeys.filter((fk) => fk.name === undefined || !this.sameName(fk.name, name));
      changed ||= t.foreignKeys.length !== before;
    }
    if (changed) this.constraintChanged(t, location);
    return changed;
  }

  renameConstraint(tableName: string, from: string, to: string, location: SourceLocation): void {
    const t = this.need(tableName, location, `RENAME CONSTRAINT ${from}`);
    if (!t) return;
    const match = (n?: string) => n !== undefined && this.sameName(n, from);
    if (match(t.primaryKey?.name) && t.primaryKey) t.primaryKey.name = to;
    for (const u of t.uniques) if (match(u.name)) u.name = to;
    for (const fk of t.foreignKeys) if (match(fk.name)) fk.name = to;
  }

  /** Finds which table holds a unique constraint (index) of that name, among the candidates. */
  tableOfIndex(name: string, schemaPrefix?: string): TableSchema | undefined {
    for (const t of this.state.datasets.values()) {
      if (schemaPrefix !== undefined && !t.name.startsWith(schemaPrefix)) continue;
      if (t.primaryKey?.name === name || t.uniques.some((u) => u.name === name)) return t;
    }
    return undefined;
  }

  /** `INSERT INTO target (…) SELECT … FROM source`: remembers which column takes which, for rebuilds. */
  copyRows({ target, source, columns }: { target: string; source: string; columns: CopiedColumn[] }): void {
    if (this.temporary.has(target) || this.temporary.has(source)) return;
    const to = this.identities.get(target);
    if (!to || !this.state.datasets.has(source)) return;
    to.copiedFrom = { identity: this.identity(source), columns };
  }

  // ------------------------------------------------------------------ enums

  enumChanged(name: string, location: SourceLocation): void {
    this.records.push({ event: { kind: "enum-changed", enum: name, location } });
  }

  /** Propagates an enum's values to every column of that type. */
  refreshEnumColumns(enumName: string, typeBase: string, values: string[] | undefined): void {
    for (const t of this.state.datasets.values()) {
      for (const c of t.columns) {
        if (c.type.values === undefined) continue;
        if (c.type.base !== typeBase && c.type.base !== enumName) continue;
        if (values) {
          c.type = { ...c.type, values: [...values] };
          c.acceptedValues = [...values];
        }
      }
    }
  }

  // ------------------------------------------------------------------ end of file

  /**
   * Ends a file: collapses table rebuilds (create new_x, copy, drop x, rename new_x to x — or
   * rename x away, create x, drop the old one) into one `dataset-redefined` event with the real
   * column differences, and forgets temporary tables.
   */
  endFile(): void {
    for (const name of this.temporary) this.state.datasets.delete(name);
    this.temporary.clear();
    for (const id of this.identities.values()) this.track(id);
    const replacements = new Map<number, ReplayEvent[]>();
    for (const id of this.allIdentities) {
      const tk = id.takeover;
      if (!tk || !id.alive || id.origin !== undefined) continue;
      const old = this.origins.get(tk.name);
      if (!old || old.alive || old === id || !old.dropped) continue;
      for (let r = 0; r <= tk.record; r++) {
        const rec = this.records[r];
        if (rec?.identity === id) rec.suppressed = true;
      }
      for (const rec of this.records) {
        if (
          rec.identity === old &&
          (rec.event.kind === "dataset-dropped" || rec.event.kind === "dataset-renamed")
        ) {
          rec.suppressed = true;
        }
      }
      const created = tk.snapshot.location ?? tk.location;
      const copied = id.copiedFrom?.identity === old ? id.copiedFrom.columns : [];
      replacements.set(tk.record, [
        { kind: "dataset-redefined", dataset: tk.name, location: created },
        ...diffDefinitions(old.dropped, tk.snapshot, created, this.caseInsensitive, copied),
      ]);
    }
    this.records.forEach((rec, i) => {
      const extra = replacements.get(i);
      if (!rec.suppressed) this.events.push(rec.event);
      if (extra) this.events.push(...extra);
    });
    this.records = [];
    this.identities.clear();
    this.allIdentities.clear();
    this.origins.clear();
  }
}

/**
 * The renames a rebuild's copy makes: the new table's column `to` filled from the old one's
 * `from`, where `from` is gone from the new table and `to` is new in it. A column copied under
 * its own name, or into a column that also existed before, renames nothing.
 */
const renamesOfCopy = (
  before: TableSchema,
  after: TableSchema,
  copied: readonly CopiedColumn[],
  key: (n: string) => string,
): Map<string, string> => {
  const beforeNames = new Set(before.columns.map((c) => key(c.name)));
  const afterNames = new Set(after.columns.map((c) => key(c.name)));
  const renames = new Map<string, string>();
  const sources = new Set<string>();
  for (const { to, from } of copied) {
    const [t, f] = [key(to), key(from)];
    if (t === f || !beforeNames.has(f) || afterNames.has(f) || !afterNames.has(t) || beforeNames.has(t))
      continue;
    if (sources.has(f) || renames.has(t)) continue;
    renames.set(t, f);
    sources.add(f);
  }
  return renames;
};

/** Column-level events between two definitions of the same dataset (a rebuild's copy tells renames). */
export const diffDefinitions = (
  before: TableSchema,
  after: TableSchema,
  location: SourceLocation,
  caseInsensitive: boolean,
  copied: readonly CopiedColumn[] = [],
): ReplayEvent[] => {
  const key = (n: string) => (caseInsensitive ? n.toLowerCase() : n);
  const events: ReplayEvent[] = [];
  const dataset = after.name;
  const old = new Map(before.columns.map((c) => [key(c.name), c]));
  const renames = renamesOfCopy(before, after, copied, key);
  const seen = new Set<string>();
  for (const c of after.columns) {
    const k = key(c.name);
    const from = renames.get(k);
    seen.add(from ?? k);
    const prev = old.get(from ?? k);
    const at = c.location ?? location;
    if (prev && from !== undefined)
      events.push({ kind: "column-renamed", dataset, column: prev.name, to: c.name, location: at });
    if (!prev) events.push({ kind: "column-added", dataset, column: c.name, location: at });
    else if (!sameType(prev.type, c.type) || prev.nullable !== c.nullable || prev.default !== c.default) {
      events.push({ kind: "column-altered", dataset, column: c.name, location: at });
    }
  }
  for (const c of before.columns) {
    if (!seen.has(key(c.name))) events.push({ kind: "column-dropped", dataset, column: c.name, location });
  }
  const pk = (t: TableSchema) => (t.primaryKey?.columns ?? []).map(key);
  const uniques = (t: TableSchema) => t.uniques.map((u) => u.columns.map(key).join(",")).sort();
  const fks = (t: TableSchema) =>
    t.foreignKeys.map((f) => `${f.columns.map(key).join(",")}>${f.references.dataset}`).sort();
  if (
    !sameList(pk(before), pk(after)) ||
    !sameList(uniques(before), uniques(after)) ||
    !sameList(fks(before), fks(after))
  ) {
    events.push({ kind: "constraint-changed", dataset, location });
  }
  return events;
};
