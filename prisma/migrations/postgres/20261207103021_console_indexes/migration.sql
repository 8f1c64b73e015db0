-- DropIndex
DROP INDEX "Violation_contractId_detectedAt_idx";

-- CreateIndex
CREATE INDEX "CheckRecord_repositoryId_updatedAt_idx" ON "CheckRecord"("repositoryId", "updatedAt");

-- CreateIndex
CREATE INDEX "Violation_contractId_installationId_detectedAt_id_idx" ON "Violation"("contractId", "installationId", "detectedAt", "id");

-- CreateIndex
CREATE INDEX "Violation_installationId_gitRepo_detectedAt_id_idx" ON "Violation"("installationId", "gitRepo", "detectedAt", "id");

-- CreateIndex
CREATE INDEX "Violation_installationId_status_waivedAt_id_idx" ON "Violation"("installationId", "status", "waivedAt", "id");

-- CreateIndex
CREATE INDEX "Violation_installationId_repositoryId_status_idx" ON "Violation"("installationId", "repositoryId", "status");
