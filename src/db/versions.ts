import { CovenantError } from "../core/errors.ts";
import type { Db } from "./client.ts";
import { encodeOwners } from "./contracts.ts";
import { isUniqueViolation } from "./errors.ts";
import type { ContractVersion } from "./generated/sqlite/client.ts";
import { type Page, type PageRequest, paginate } from "./pagination.ts";

export type { ContractVersion as ContractVersionRow } from "./generated/sqlite/client.ts";

export type NewVersion = {
  installationId: string;
  contractId: string;
  /** The version the caller compared against: publishing fails if another publish got there first. */
  previousVersion: string;
  version: string;
  contents: string;
  checksum: string;
  changelog?: string | null;
  createdBy?: string | null;
  /** Fields of the contract that follow its current contents. */
  contract: {
    datasetType: string;
    datasetName: string;
    owners: readonly string[];
    description?: string | null;
    enforcement?: string;
  };
};

/** Publishes a new version and makes it the contract's current contents, in one transaction. */
export const publishContractVersion = async (db: Db, input: NewVersion): Promise<ContractVersion> => {
  try {
    return await db.$transaction(async (tx) => {
      const { count } = await tx.contract.updateMany({
        where: { id: input.contractId, installationId: input.installationId, version: input.previousVersion },
        data: {
          version: input.version,
          contents: input.contents,
          checksum: input.checksum,
          datasetType: input.contract.datasetType,
          datasetName: input.contract.datasetName,
          owners: encodeOwners(input.contract.owners),
          ...(input.contract.description !== undefined ? { description: input.contract.description } : {}),
          ...(input.contract.enforcement !== undefined ? { enforcement: input.contract.enforcement } : {}),
        },
      });
      if (count === 0) {
        throw new CovenantError(
          "conflict",
          `The contract's current version is no longer ${input.previousVersion} (published concurrently); read it again and retry.`,
        );
      }
      const contract = await tx.contract.findUniqueOrThrow({ where: { id: input.contractId } });
      return tx.contractVersion.create({
        data: {
          contractId: input.contractId,
          version: input.version,
          status: contract.status,
          contents: input.contents,
          checksum: input.checksum,
          changelog: input.changelog ?? null,
          createdBy: input.createdBy ?? null,
        },
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new CovenantError("conflict", `Version ${input.version} of this contract already exists.`);
    }
    throw error;
  }
};

export type VersionFilters = { createdBefore?: Date };

/** Newest first. The caller has checked that the contract belongs to its installation. */
export const listContractVersions = (
  db: Db,
  contractId: string,
  filters: VersionFilters,
  page: PageRequest,
): Promise<Page<ContractVersion>> =>
  paginate<ContractVersion>(db.contractVersion, {
    where: { contractId, ...(filters.createdBefore ? { createdAt: { lt: filters.createdBefore } } : {}) },
    field: "createdAt",
    direction: "desc",
    request: page,
  });

export const getContractVersion = (
  db: Db,
  contractId: string,
  version: string,
): Promise<ContractVersion | null> =>
  db.contractVersion.findUnique({ where: { contractId_version: { contractId, version } } });
