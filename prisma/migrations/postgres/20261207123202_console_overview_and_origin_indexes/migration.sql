-- DropIndex
DROP INDEX "Violation_installationId_status_waivedAt_id_idx";

-- CreateIndex
CREATE INDEX "Violation_installationId_status_waivedAt_id_pr_idx" ON "Violation"("installationId", "status", "waivedAt", "id", "repositoryId", "gitRepo", "prNumber");

-- CreateIndex
CREATE INDEX "Violation_installationId_contractId_contractName_detectedAt_idx" ON "Violation"("installationId", "contractId", "contractName", "detectedAt");

-- CreateIndex
CREATE INDEX "Violation_installationId_validationRunId_detectedAt_id_idx" ON "Violation"("installationId", "validationRunId", "detectedAt", "id");
