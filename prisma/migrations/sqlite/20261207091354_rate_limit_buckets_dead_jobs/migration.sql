-- CreateTable
CREATE TABLE "RateLimitBucket" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "tokens" REAL NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- A job that used every attempt is "dead" (the dead letter), no longer "failed".
UPDATE "Job" SET "status" = 'dead' WHERE "status" = 'failed';
