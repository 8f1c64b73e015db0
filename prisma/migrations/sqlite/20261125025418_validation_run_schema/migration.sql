-- AlterTable
ALTER TABLE "ValidationRun" ADD COLUMN "error" TEXT;
ALTER TABLE "ValidationRun" ADD COLUMN "schemaResult" TEXT;
