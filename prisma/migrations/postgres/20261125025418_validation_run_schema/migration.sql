-- AlterTable
ALTER TABLE "ValidationRun" ADD COLUMN     "error" TEXT,
ADD COLUMN     "schemaResult" TEXT;
