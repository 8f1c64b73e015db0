-- AlterTable
ALTER TABLE "Job" ADD COLUMN "githubInstallationId" BIGINT;
ALTER TABLE "Job" ADD COLUMN "installationId" TEXT;

-- CreateIndex
CREATE INDEX "Job_installationId_status_idx" ON "Job"("installationId", "status");

-- CreateIndex
CREATE INDEX "Job_githubInstallationId_status_idx" ON "Job"("githubInstallationId", "status");
