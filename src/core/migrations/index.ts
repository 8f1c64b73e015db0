export * from "./discover-migrations.ts";
export * from "./extract-migration-up.ts";
export * from "./natural-compare.ts";
export * from "./sqitch-plan.ts";
