// The App's tests open the same real databases as the API's (a fresh SQLite file or PostgreSQL
// database per test file, migrated by openDatabase, dropped at the end), named by Prisma provider.
import { type ApiTestDatabase, openApiTestDatabase } from "./api-db.ts";

export type TestDatabase = ApiTestDatabase;

export const createTestDatabase = (provider: "sqlite" | "postgresql"): Promise<TestDatabase> =>
  openApiTestDatabase(provider === "sqlite" ? "sqlite" : "postgres");
