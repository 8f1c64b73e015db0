import type { Db } from "./client.ts";
import { decodeOwners, encodeOwners } from "./contracts.ts";
import type { ContractVersion } from "./generated/sqlite/client.ts";

/** A contract file as it is on the default branch after a merge or push. */
export type RepositoryContractFile = {
  installationId: string;
  repositoryId: string;
  filePath: string;
  fileUrl: string;
  contents: string;
  checksum: string;
  contract: {
    name: string;
    version: string;
    status: string;
    enforcement: string;
    datasetType: string;
    datasetName: string;
    owners: readonly string[];
    description?: string | undefined;
  };
  /** The commit that put this version on the default branch (Gable's gitHash). */
  gitHash: string;
  reviewers: readonly string[];
  mergedAt: Date | null;
  by?: string | null;
};

/**
 * Brings the registry in line with a contract file of the default branch: the contract takes the
 * file's current contents and its version is recorded with git hash, file URL, reviewers and merge
 * time. Idempotent: the same merge seen twice (redelivery, merge event + push) is one version.
 */
export const syncRepositoryContract = (db: Db, file: RepositoryContractFile): Promise<ContractVersion> =>
  db.$transaction(async (tx) => {
    const c = file.contract;
    const fields = {
      status: c.status,
      enforcement: c.enforcement,
      datasetType: c.datasetType,
      datasetName: c.datasetName,
      owners: encodeOwners(c.owners),
      description: c.description ?? null,
      version: c.version,
      contents: file.contents,
      checksum: file.checksum,
      repositoryId: file.repositoryId,
      filePath: file.filePath,
    };
    const contract = await tx.contract.upsert({
      where: { installationId_name: { installationId: file.installationId, name: c.name } },
      create: {
        installationId: file.installationId,
        name: c.name,
        createdBy: file.by ?? null,
        ...(c.status === "active" ? { activatedAt: file.mergedAt ?? new Date() } : {}),
        ...fields,
      },
      update: fields,
    });
    const version = {
      status: c.status,
      contents: file.contents,
      checksum: file.checksum,
      gitHash: file.gitHash,
      repositoryId: file.repositoryId,
      filePath: file.filePath,
      fileUrl: file.fileUrl,
      reviewers: JSON.stringify(file.reviewers),
      mergedAt: file.mergedAt,
    };
    const existing = await tx.contractVersion.findUnique({
      where: { contractId_version: { contractId: contract.id, version: c.version } },
    });
    // A push seen after the merge event knows no reviewers: keep what the merge recorded.
    if (existing && existing.checksum === file.checksum && existing.gitHash) {
      return tx.contractVersion.update({
        where: { id: existing.id },
        data: {
          ...(file.reviewers.length > 0 ? { reviewers: version.reviewers } : {}),
          ...(file.mergedAt && !existing.mergedAt ? { mergedAt: file.mergedAt } : {}),
        },
      });
    }
    return tx.contractVersion.upsert({
      where: { contractId_version: { contractId: contract.id, version: c.version } },
      create: { contractId: contract.id, version: c.version, createdBy: file.by ?? null, ...version },
      update: version,
    });
  });

/**
 * Contracts registered through the API rather than kept as files in a repository (no file path):
 * they apply to every repository of the installation. Repository files are read from the repo.
 * The registry's columns, not the YAML the contract was created with, say its lifecycle state,
 * level and owners: `activate`, `deprecate` and `PUT` change those columns only.
 */
export const listRegisteredContracts = async (
  db: Db,
  installationId: string,
): Promise<Array<{ contents: string; status: string; enforcement: string; owners: string[] }>> => {
  const rows = await db.contract.findMany({
    where: { installationId, filePath: null, status: "active" },
    select: { contents: true, status: true, enforcement: true, owners: true },
    orderBy: { name: "asc" },
  });
  return rows.map((row) => ({ ...row, owners: decodeOwners(row.owners) }));
};

/** Whether an active BLOCK contract of the registry lives in this repository (a "BLOCK repo"). */
export const repositoryHasBlockingContracts = async (
  db: Db,
  { installationId, repositoryId }: { installationId: string; repositoryId: string },
): Promise<boolean> =>
  (await db.contract.count({
    where: { installationId, repositoryId, enforcement: "BLOCK", status: "active" },
  })) > 0;
