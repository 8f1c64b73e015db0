-- AlterTable
ALTER TABLE "Installation" ADD COLUMN "deletedAt" DATETIME;
ALTER TABLE "Installation" ADD COLUMN "githubUpdatedAt" DATETIME;
