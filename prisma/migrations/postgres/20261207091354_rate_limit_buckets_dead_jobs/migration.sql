-- CreateTable
CREATE TABLE "RateLimitBucket" (
    "key" TEXT NOT NULL,
    "tokens" DOUBLE PRECISION NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RateLimitBucket_pkey" PRIMARY KEY ("key")
);

-- A job that used every attempt is "dead" (the dead letter), no longer "failed".
UPDATE "Job" SET "status" = 'dead' WHERE "status" = 'failed';
