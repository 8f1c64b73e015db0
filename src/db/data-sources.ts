import { CovenantError } from "../core/errors.ts";
import type { Db } from "./client.ts";
import { isUniqueViolation } from "./errors.ts";
import type { DataSource } from "./generated/sqlite/client.ts";
import { type Page, type PageRequest, paginate } from "./pagination.ts";

export type { DataSource as DataSourceRow } from "./generated/sqlite/client.ts";

export type NewDataSource = {
  installationId: string;
  name: string;
  kind: string;
  /** A file path or a password-free URL; null when `locationEnv` names where it is. */
  location: string | null;
  locationEnv: string | null;
  description?: string | null;
  createdBy?: string | null;
};

const duplicateName = (name: string) =>
  new CovenantError(
    "conflict",
    `A data source named "${name}" already exists in this installation: pick another name, or update that one.`,
  );

/** Registers a source; a duplicate name (per installation) -> conflict. */
export const createDataSource = async (db: Db, input: NewDataSource): Promise<DataSource> => {
  try {
    return await db.dataSource.create({
      data: {
        installationId: input.installationId,
        name: input.name,
        kind: input.kind,
        location: input.location,
        locationEnv: input.locationEnv,
        description: input.description ?? null,
        createdBy: input.createdBy ?? null,
      },
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicateName(input.name);
    throw error;
  }
};

/** A source of this installation, or null: another installation's source is never found. */
export const getDataSource = (db: Db, installationId: string, id: string): Promise<DataSource | null> =>
  db.dataSource.findFirst({ where: { id, installationId } });

/** Any installation's source (the CLI, on the server's machine). */
export const getDataSourceById = (db: Db, id: string): Promise<DataSource | null> =>
  db.dataSource.findUnique({ where: { id } });

export const findDataSourceByName = (
  db: Db,
  installationId: string,
  name: string,
): Promise<DataSource | null> =>
  db.dataSource.findUnique({ where: { installationId_name: { installationId, name } } });

/** Oldest first, so a listing is stable while sources are being added. */
export const listDataSources = (
  db: Db,
  installationId: string,
  page: PageRequest,
): Promise<Page<DataSource>> =>
  paginate<DataSource>(db.dataSource, {
    where: { installationId },
    field: "createdAt",
    direction: "asc",
    request: page,
  });

/** Every installation's sources, with the installation's login (the CLI runs on the server). */
export const listAllDataSources = (db: Db) =>
  db.dataSource.findMany({
    include: { installation: { select: { accountLogin: true } } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });

export type DataSourcePatch = {
  name?: string;
  kind?: string;
  location?: string | null;
  locationEnv?: string | null;
  description?: string | null;
};

export const updateDataSource = async (
  db: Db,
  installationId: string,
  id: string,
  patch: DataSourcePatch,
): Promise<DataSource> => {
  const data = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
  try {
    // An empty patch changes nothing (and updateMany would count no row): the source as it is.
    const { count } =
      Object.keys(data).length === 0
        ? { count: 1 }
        : await db.dataSource.updateMany({ where: { id, installationId }, data });
    if (count === 0) throw new CovenantError("not_found", `Data source ${id} not found.`);
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicateName(patch.name ?? "");
    throw error;
  }
  const row = await getDataSource(db, installationId, id);
  if (!row) throw new CovenantError("not_found", `Data source ${id} not found.`);
  return row;
};

/**
 * Deletes a source. While scans refer to it, refused (409) unless `force`: forced, its scans
 * (and their logs) go with it, and its validation runs and violations stay, without the source.
 * Check and delete are one transaction, so a scan queued meanwhile is not silently lost.
 */
export const deleteDataSource = (
  db: Db,
  installationId: string,
  id: string,
  { force = false }: { force?: boolean } = {},
): Promise<{ scansDeleted: number }> =>
  db.$transaction(async (tx) => {
    const source = await tx.dataSource.findFirst({ where: { id, installationId } });
    if (!source) throw new CovenantError("not_found", `Data source ${id} not found.`);
    const scans = await tx.scan.count({ where: { sourceId: id } });
    if (scans > 0 && !force) {
      throw new CovenantError(
        "conflict",
        `Data source "${source.name}" has ${scans} scan(s): delete it with ?force=true to delete them too ` +
          "(validation runs and violations are kept).",
      );
    }
    await tx.dataSource.delete({ where: { id } });
    return { scansDeleted: scans };
  });
