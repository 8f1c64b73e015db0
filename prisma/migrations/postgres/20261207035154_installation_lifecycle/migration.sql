-- AlterTable
ALTER TABLE "Installation" ADD COLUMN     "deletedAt" TIMESTAMP(3),
ADD COLUMN     "githubUpdatedAt" TIMESTAMP(3);
