-- CreateTable
CREATE TABLE "Installation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "githubId" BIGINT,
    "accountLogin" TEXT NOT NULL,
    "accountType" TEXT NOT NULL DEFAULT 'Organization',
    "suspendedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Repository" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "installationId" TEXT NOT NULL,
    "githubId" BIGINT,
    "fullName" TEXT NOT NULL,
    "defaultBranch" TEXT NOT NULL DEFAULT 'main',
    "private" BOOLEAN NOT NULL DEFAULT false,
    "removedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Repository_installationId_fkey" FOREIGN KEY ("installationId") REFERENCES "Installation" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Contract" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "installationId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'draft',
    "enforcement" TEXT NOT NULL DEFAULT 'RECORD',
    "datasetType" TEXT NOT NULL,
    "datasetName" TEXT NOT NULL,
    "owners" TEXT NOT NULL DEFAULT '',
    "description" TEXT,
    "version" TEXT NOT NULL,
    "contents" TEXT NOT NULL,
    "checksum" TEXT NOT NULL,
    "repositoryId" TEXT,
    "filePath" TEXT,
    "deprecationReason" TEXT,
    "successorContractId" TEXT,
    "createdBy" TEXT,
    "activatedAt" DATETIME,
    "deprecatedAt" DATETIME,
    "archivedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Contract_installationId_fkey" FOREIGN KEY ("installationId") REFERENCES "Installation" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Contract_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ContractVersion" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "contractId" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "contents" TEXT NOT NULL,
    "checksum" TEXT NOT NULL,
    "changelog" TEXT,
    "gitHash" TEXT,
    "repositoryId" TEXT,
    "filePath" TEXT,
    "fileUrl" TEXT,
    "reviewers" TEXT NOT NULL DEFAULT '[]',
    "mergedAt" DATETIME,
    "createdBy" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ContractVersion_contractId_fkey" FOREIGN KEY ("contractId") REFERENCES "Contract" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ContractVersion_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Assignment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "installationId" TEXT NOT NULL,
    "contractId" TEXT NOT NULL,
    "resourceType" TEXT NOT NULL,
    "resourceId" TEXT NOT NULL,
    "createdBy" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Assignment_installationId_fkey" FOREIGN KEY ("installationId") REFERENCES "Installation" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Assignment_contractId_fkey" FOREIGN KEY ("contractId") REFERENCES "Contract" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Violation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "installationId" TEXT NOT NULL,
    "contractId" TEXT,
    "contractName" TEXT NOT NULL,
    "contractVersion" TEXT,
    "repositoryId" TEXT,
    "dedupeKey" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "rule" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "enforcement" TEXT NOT NULL,
    "dataset" TEXT NOT NULL,
    "column" TEXT,
    "message" TEXT NOT NULL,
    "help" TEXT,
    "expected" TEXT,
    "actual" TEXT,
    "file" TEXT,
    "line" INTEGER,
    "gitHash" TEXT,
    "gitRepo" TEXT,
    "prNumber" INTEGER,
    "prLink" TEXT,
    "author" TEXT,
    "reviewers" TEXT NOT NULL DEFAULT '[]',
    "status" TEXT NOT NULL DEFAULT 'open',
    "resolution" TEXT,
    "notes" TEXT,
    "resolvedBy" TEXT,
    "resolvedAt" DATETIME,
    "waivedBy" TEXT,
    "waiverReason" TEXT,
    "waivedAt" DATETIME,
    "mergedAt" DATETIME,
    "mergeCommitSha" TEXT,
    "sampleValues" TEXT NOT NULL DEFAULT '[]',
    "validationRunId" TEXT,
    "detectedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Violation_installationId_fkey" FOREIGN KEY ("installationId") REFERENCES "Installation" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Violation_contractId_fkey" FOREIGN KEY ("contractId") REFERENCES "Contract" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Violation_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Violation_validationRunId_fkey" FOREIGN KEY ("validationRunId") REFERENCES "ValidationRun" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RepoPolicy" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "installationId" TEXT NOT NULL,
    "repoFullName" TEXT NOT NULL,
    "maxLevel" TEXT,
    "minLevel" TEXT,
    "updatedBy" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "RepoPolicy_installationId_fkey" FOREIGN KEY ("installationId") REFERENCES "Installation" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "installationId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "createdBy" TEXT,
    "lastUsedAt" DATETIME,
    "revokedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ApiKey_installationId_fkey" FOREIGN KEY ("installationId") REFERENCES "Installation" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ValidationRun" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "installationId" TEXT NOT NULL,
    "contractId" TEXT NOT NULL,
    "contractVersion" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "rowsEvaluated" INTEGER NOT NULL DEFAULT 0,
    "rulesPassed" INTEGER NOT NULL DEFAULT 0,
    "rulesFailed" INTEGER NOT NULL DEFAULT 0,
    "results" TEXT NOT NULL DEFAULT '[]',
    "createdBy" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME,
    CONSTRAINT "ValidationRun_installationId_fkey" FOREIGN KEY ("installationId") REFERENCES "Installation" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ValidationRun_contractId_fkey" FOREIGN KEY ("contractId") REFERENCES "Contract" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "event" TEXT NOT NULL,
    "receivedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Job" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "dedupeKey" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "runAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedBy" TEXT,
    "lockedUntil" DATETIME,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "CheckRecord" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "repositoryId" TEXT NOT NULL,
    "headSha" TEXT NOT NULL,
    "prNumber" INTEGER,
    "checkRunId" BIGINT,
    "commentId" BIGINT,
    "conclusion" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "SchemaSnapshot" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "repositoryId" TEXT NOT NULL,
    "commitSha" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "Installation_githubId_key" ON "Installation"("githubId");

-- CreateIndex
CREATE INDEX "Repository_githubId_idx" ON "Repository"("githubId");

-- CreateIndex
CREATE UNIQUE INDEX "Repository_installationId_fullName_key" ON "Repository"("installationId", "fullName");

-- CreateIndex
CREATE INDEX "Contract_installationId_status_createdAt_idx" ON "Contract"("installationId", "status", "createdAt");

-- CreateIndex
CREATE INDEX "Contract_installationId_datasetName_idx" ON "Contract"("installationId", "datasetName");

-- CreateIndex
CREATE INDEX "Contract_installationId_repositoryId_idx" ON "Contract"("installationId", "repositoryId");

-- CreateIndex
CREATE INDEX "Contract_installationId_createdAt_id_idx" ON "Contract"("installationId", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Contract_installationId_name_key" ON "Contract"("installationId", "name");

-- CreateIndex
CREATE INDEX "ContractVersion_contractId_createdAt_idx" ON "ContractVersion"("contractId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "ContractVersion_contractId_version_key" ON "ContractVersion"("contractId", "version");

-- CreateIndex
CREATE INDEX "Assignment_installationId_resourceType_resourceId_idx" ON "Assignment"("installationId", "resourceType", "resourceId");

-- CreateIndex
CREATE UNIQUE INDEX "Assignment_contractId_resourceType_resourceId_key" ON "Assignment"("contractId", "resourceType", "resourceId");

-- CreateIndex
CREATE INDEX "Violation_installationId_status_detectedAt_idx" ON "Violation"("installationId", "status", "detectedAt");

-- CreateIndex
CREATE INDEX "Violation_installationId_rule_detectedAt_idx" ON "Violation"("installationId", "rule", "detectedAt");

-- CreateIndex
CREATE INDEX "Violation_contractId_detectedAt_idx" ON "Violation"("contractId", "detectedAt");

-- CreateIndex
CREATE INDEX "Violation_repositoryId_prNumber_idx" ON "Violation"("repositoryId", "prNumber");

-- CreateIndex
CREATE INDEX "Violation_installationId_detectedAt_id_idx" ON "Violation"("installationId", "detectedAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Violation_installationId_dedupeKey_key" ON "Violation"("installationId", "dedupeKey");

-- CreateIndex
CREATE UNIQUE INDEX "RepoPolicy_installationId_repoFullName_key" ON "RepoPolicy"("installationId", "repoFullName");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");

-- CreateIndex
CREATE INDEX "ApiKey_installationId_createdAt_idx" ON "ApiKey"("installationId", "createdAt");

-- CreateIndex
CREATE INDEX "ValidationRun_contractId_createdAt_idx" ON "ValidationRun"("contractId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Job_dedupeKey_key" ON "Job"("dedupeKey");

-- CreateIndex
CREATE INDEX "Job_status_runAt_idx" ON "Job"("status", "runAt");

-- CreateIndex
CREATE UNIQUE INDEX "CheckRecord_repositoryId_headSha_key" ON "CheckRecord"("repositoryId", "headSha");

-- CreateIndex
CREATE UNIQUE INDEX "SchemaSnapshot_repositoryId_commitSha_key" ON "SchemaSnapshot"("repositoryId", "commitSha");
