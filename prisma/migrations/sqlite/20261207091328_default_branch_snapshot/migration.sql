-- AlterTable
ALTER TABLE "Repository" ADD COLUMN "defaultBranchSeenAt" DATETIME;
ALTER TABLE "Repository" ADD COLUMN "defaultBranchSha" TEXT;
