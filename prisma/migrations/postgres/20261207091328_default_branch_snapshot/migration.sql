-- AlterTable
ALTER TABLE "Repository" ADD COLUMN     "defaultBranchSeenAt" TIMESTAMP(3),
ADD COLUMN     "defaultBranchSha" TEXT;
