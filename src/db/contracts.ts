import { CovenantError } from "../core/errors.ts";
import type { Db } from "./client.ts";
import { isUniqueViolation } from "./errors.ts";
import type { Contract } from "./generated/sqlite/client.ts";
import { type Page, type PageRequest, paginate } from "./pagination.ts";

export type { Contract as ContractRow } from "./generated/sqlite/client.ts";

/** Owners are stored as ",@acme/data,@alice," (lower case: GitHub logins ignore case) so one LIKE finds them. */
export const encodeOwners = (owners: readonly string[]): string => {
  const list = [...new Set(owners.map((owner) => owner.trim().toLowerCase()).filter(Boolean))];
  return list.length === 0 ? "" : `,${list.join(",")},`;
};

export const decodeOwners = (owners: string): string[] => owners.split(",").filter(Boolean);

export type NewContract = {
  installationId: string;
  name: string;
  enforcement: string;
  datasetType: string;
  datasetName: string;
  owners: readonly string[];
  description?: string | null;
  version: string;
  contents: string;
  checksum: string;
  changelog?: string | null;
  createdBy?: string | null;
  repositoryId?: string | null;
  filePath?: string | null;
};

/**
 * Creates a contract (always `draft`) and its first version. One nested write: Prisma runs both
 * inserts in one transaction, without the round trips of an interactive transaction. Duplicate
 * name -> conflict.
 */
export const createContract = async (db: Db, input: NewContract): Promise<Contract> => {
  try {
    return await db.contract.create({
      data: {
        installationId: input.installationId,
        name: input.name,
        status: "draft",
        enforcement: input.enforcement,
        datasetType: input.datasetType,
        datasetName: input.datasetName,
        owners: encodeOwners(input.owners),
        description: input.description ?? null,
        version: input.version,
        contents: input.contents,
        checksum: input.checksum,
        createdBy: input.createdBy ?? null,
        repositoryId: input.repositoryId ?? null,
        filePath: input.filePath ?? null,
        versions: {
          create: {
            version: input.version,
            status: "draft",
            contents: input.contents,
            checksum: input.checksum,
            changelog: input.changelog ?? "Initial version",
            createdBy: input.createdBy ?? null,
            repositoryId: input.repositoryId ?? null,
            filePath: input.filePath ?? null,
          },
        },
      },
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      const existing = await findContractByName(db, input.installationId, input.name);
      const id = existing?.id ?? "{id}";
      throw new CovenantError(
        "conflict",
        `A contract named "${input.name}" already exists in this installation (id ${id}, version ${existing?.version ?? "?"}). ` +
          `To change it, publish a new version: POST /api/v1/contracts/${id}/versions with {"contents": …} ` +
          "and a higher `version`; to register a separate contract, give it another name.",
      );
    }
    throw error;
  }
};

/** A contract of this installation, or null: another installation's contract is never found. */
export const getContract = (db: Db, installationId: string, id: string): Promise<Contract | null> =>
  db.contract.findFirst({ where: { id, installationId } });

export const findContractByName = (db: Db, installationId: string, name: string): Promise<Contract | null> =>
  db.contract.findUnique({ where: { installationId_name: { installationId, name } } });

export type ContractFilters = {
  status?: string;
  /** Exact dataset name, e.g. public.orders. */
  dataset?: string;
  /** Repository owner/name the contract file lives in. */
  repo?: string;
  /** A GitHub user or team, e.g. @alice or @acme/data. */
  owner?: string;
  /** Part of the name or the dataset name (the console's search). */
  q?: string;
};

export type ContractListItem = Omit<Contract, "contents">;

/** Oldest first, so a listing is stable while contracts are being added. Without the YAML contents. */
export const listContracts = (
  db: Db,
  installationId: string,
  filters: ContractFilters,
  page: PageRequest,
): Promise<Page<ContractListItem>> =>
  paginate<ContractListItem>(db.contract, {
    where: {
      installationId,
      ...(filters.status ? { status: filters.status } : {}),
      ...(filters.dataset ? { datasetName: filters.dataset } : {}),
      ...(filters.repo ? { repository: { fullName: filters.repo } } : {}),
      ...(filters.owner ? { owners: { contains: `,${filters.owner.trim().toLowerCase()},` } } : {}),
      ...(filters.q
        ? { OR: [{ name: { contains: filters.q } }, { datasetName: { contains: filters.q } }] }
        : {}),
    },
    field: "createdAt",
    direction: "asc",
    request: page,
    omit: { contents: true },
  });

export type ContractMetadata = {
  enforcement?: string;
  owners?: readonly string[];
  description?: string | null;
  /** The current version's YAML rewritten to say the new state (see withRegistryState). */
  document?: CurrentDocument;
};

/**
 * The current version's YAML once the registry's state is written into it. `previousChecksum` is
 * what the caller rewrote: if another write changed the contents meanwhile, nothing is written.
 */
export type CurrentDocument = {
  version: string;
  previousChecksum: string;
  contents: string;
  checksum: string;
};

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/** The current version follows the contract's state: its status, and its YAML when rewritten. */
const syncCurrentVersion = async (tx: Tx, id: string, contract: Contract, document?: CurrentDocument) => {
  await tx.contractVersion.updateMany({
    where: { contractId: id, version: contract.version },
    data: {
      status: contract.status,
      ...(document && document.version === contract.version
        ? { contents: document.contents, checksum: document.checksum }
        : {}),
    },
  });
};

const conflict = (what: string) =>
  new CovenantError("conflict", `The contract ${what} (changed concurrently); read it again and retry.`);

export const updateContractMetadata = (
  db: Db,
  installationId: string,
  id: string,
  patch: ContractMetadata,
): Promise<Contract | null> =>
  db.$transaction(async (tx) => {
    const doc = patch.document;
    const { count } = await tx.contract.updateMany({
      where: {
        id,
        installationId,
        ...(doc ? { version: doc.version, checksum: doc.previousChecksum } : {}),
      },
      data: {
        ...(patch.enforcement !== undefined ? { enforcement: patch.enforcement } : {}),
        ...(patch.owners !== undefined ? { owners: encodeOwners(patch.owners) } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(doc ? { contents: doc.contents, checksum: doc.checksum } : {}),
      },
    });
    if (count === 0) {
      if (doc && (await tx.contract.count({ where: { id, installationId } })) > 0)
        throw conflict("contents changed");
      return null;
    }
    const contract = await tx.contract.findUniqueOrThrow({ where: { id } });
    await syncCurrentVersion(tx, id, contract, doc);
    return contract;
  });

export type StatusChange = {
  installationId: string;
  id: string;
  from: string;
  to: string;
  at: Date;
  deprecationReason?: string | null;
  successorContractId?: string | null;
  document?: CurrentDocument;
};

/**
 * Moves a contract from `from` to `to`. The update is conditional on the status read by the
 * caller, so two concurrent transitions cannot both succeed: the loser gets a conflict.
 */
export const updateContractStatus = (db: Db, change: StatusChange): Promise<Contract> =>
  db.$transaction(async (tx) => {
    const stamp =
      change.to === "active"
        ? { activatedAt: change.at, deprecationReason: null, successorContractId: null, deprecatedAt: null }
        : change.to === "deprecated"
          ? {
              deprecatedAt: change.at,
              deprecationReason: change.deprecationReason ?? null,
              successorContractId: change.successorContractId ?? null,
            }
          : change.to === "archived"
            ? { archivedAt: change.at }
            : {};
    const doc = change.document;
    const { count } = await tx.contract.updateMany({
      where: {
        id: change.id,
        installationId: change.installationId,
        status: change.from,
        ...(doc ? { version: doc.version, checksum: doc.previousChecksum } : {}),
      },
      data: {
        status: change.to,
        ...stamp,
        ...(doc ? { contents: doc.contents, checksum: doc.checksum } : {}),
      },
    });
    if (count === 0) throw conflict(`is no longer ${change.from}, or its contents changed`);
    const contract = await tx.contract.findFirst({
      where: { id: change.id, installationId: change.installationId },
    });
    if (!contract) throw new CovenantError("not_found", "Contract not found.");
    await syncCurrentVersion(tx, change.id, contract, doc);
    return contract;
  });

/**
 * Deletes a contract with its versions and assignments. Refused while the contract is active
 * (consumers rely on it: deprecate it first) or assigned to a resource (unassign first). The
 * checks and the delete are one transaction so an assignment made meanwhile is not lost.
 */
export const deleteContract = (db: Db, installationId: string, id: string): Promise<void> =>
  db.$transaction(async (tx) => {
    const contract = await tx.contract.findFirst({ where: { id, installationId } });
    if (!contract) throw new CovenantError("not_found", "Contract not found.");
    if (contract.status === "active") {
      throw new CovenantError(
        "conflict",
        `Contract "${contract.name}" is active: deprecate it (POST /contracts/${id}/deprecate) before deleting it.`,
      );
    }
    const assigned = await tx.assignment.count({ where: { contractId: id } });
    if (assigned > 0) {
      throw new CovenantError(
        "conflict",
        `Contract "${contract.name}" is assigned to ${assigned} resource(s): unassign them before deleting it.`,
      );
    }
    await tx.contract.delete({ where: { id } });
  });

/** Number of contracts of an installation (benchmarks, health). */
export const countContracts = (db: Db, installationId: string): Promise<number> =>
  db.contract.count({ where: { installationId } });
