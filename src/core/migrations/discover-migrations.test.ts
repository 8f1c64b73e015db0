import { describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG, parseRepoConfig } from "../config/repo-config.ts";
import { discoverMigrations, type MigrationSet, resolveMigrationSets } from "./discover-migrations.ts";

const discover = (paths: string[], config = DEFAULT_REPO_CONFIG): MigrationSet[] =>
  discoverMigrations(paths, config);

describe("discoverMigrations: one layout per tool", () => {
  it.each<[string, string[], Partial<MigrationSet>[]]>([
    [
      "Flyway: numeric version order, repeatables last, undo ignored",
      [
        "src/main/resources/db/migration/V10__add_index.sql",
        "src/main/resources/db/migration/V1_2__add_email.sql",
        "src/main/resources/db/migration/V2__orders.sql",
        "src/main/resources/db/migration/R__views.sql",
        "src/main/resources/db/migration/V1__init.sql",
        "src/main/resources/db/migration/V10.1__fix.sql",
        "src/main/resources/db/migration/U2__orders.sql",
        "src/main/resources/db/migration/V1.1__customers.sql",
        "src/main/resources/db/migration/R__functions.sql",
        "src/main/java/App.java",
      ],
      [
        {
          root: "src/main/resources/db/migration",
          tool: "flyway",
          dialect: "postgres",
          files: [
            "V1__init.sql",
            "V1.1__customers.sql",
            "V1_2__add_email.sql",
            "V2__orders.sql",
            "V10__add_index.sql",
            "V10.1__fix.sql",
            "R__functions.sql",
            "R__views.sql",
          ].map((name) => `src/main/resources/db/migration/${name}`),
        },
      ],
    ],
    [
      "Flyway: V1_10 after V1_9",
      ["sql/V1_10__b.sql", "sql/V1_9__a.sql", "sql/V1_9_1__c.sql"],
      [{ root: "sql", tool: "flyway", files: ["sql/V1_9__a.sql", "sql/V1_9_1__c.sql", "sql/V1_10__b.sql"] }],
    ],
    [
      "golang-migrate: up files only, numeric order",
      [
        "migrations/10_add_index.up.sql",
        "migrations/10_add_index.down.sql",
        "migrations/2_orders.up.sql",
        "migrations/2_orders.down.sql",
        "migrations/1_init.up.sql",
        "migrations/1_init.down.sql",
      ],
      [
        {
          root: "migrations",
          tool: "golang-migrate",
          files: ["migrations/1_init.up.sql", "migrations/2_orders.up.sql", "migrations/10_add_index.up.sql"],
        },
      ],
    ],
    [
      "Prisma: directories in timestamp order, lock file needed",
      [
        "prisma/schema.prisma",
        "prisma/migrations/migration_lock.toml",
        "prisma/migrations/20240301120000_add_orders/migration.sql",
        "prisma/migrations/20231115093000_init/migration.sql",
      ],
      [
        {
          root: "prisma/migrations",
          tool: "prisma",
          dialect: "postgres",
          needs: ["prisma/migrations/migration_lock.toml"],
          files: [
            "prisma/migrations/20231115093000_init/migration.sql",
            "prisma/migrations/20240301120000_add_orders/migration.sql",
          ],
        },
      ],
    ],
    [
      "dbmate: timestamped files in db/migrations",
      ["db/migrations/20240102000000_orders.sql", "db/migrations/20231201000000_init.sql", "db/schema.sql"],
      [
        {
          root: "db/migrations",
          tool: "dbmate",
          files: ["db/migrations/20231201000000_init.sql", "db/migrations/20240102000000_orders.sql"],
        },
      ],
    ],
    [
      "one directory is one history, whatever each file's name says",
      ["db/migrations/0002.sql", "db/migrations/0001_init.sql", "db/migrations/0003_orders.sql"],
      [
        {
          root: "db/migrations",
          tool: "dbmate",
          files: ["db/migrations/0001_init.sql", "db/migrations/0002.sql", "db/migrations/0003_orders.sql"],
        },
      ],
    ],
    [
      "Supabase: supabase/migrations, seed not replayed",
      [
        "supabase/config.toml",
        "supabase/seed.sql",
        "supabase/migrations/20240201000000_profiles.sql",
        "supabase/migrations/20240101000000_init.sql",
      ],
      [
        {
          root: "supabase/migrations",
          tool: "supabase",
          files: [
            "supabase/migrations/20240101000000_init.sql",
            "supabase/migrations/20240201000000_profiles.sql",
          ],
        },
      ],
    ],
    [
      "numbered files: natural order, 2_x before 10_x, down and non-numbered files skipped",
      [
        "server/migrations/10_add_index.sql",
        "server/migrations/2_orders.sql",
        "server/migrations/001_init.sql",
        "server/migrations/2_orders_rollback.sql",
        "server/migrations/README.sql",
        "reports/1_monthly.sql",
      ],
      [
        {
          root: "server/migrations",
          tool: "numbered",
          files: [
            "server/migrations/001_init.sql",
            "server/migrations/2_orders.sql",
            "server/migrations/10_add_index.sql",
          ],
        },
      ],
    ],
    [
      "sqitch: deploy scripts, plan and conf needed, revert and verify skipped",
      [
        "sqitch.plan",
        "sqitch.conf",
        "deploy/appschema.sql",
        "deploy/users.sql",
        "revert/appschema.sql",
        "revert/users.sql",
        "verify/users.sql",
      ],
      [
        {
          root: "",
          tool: "sqitch",
          needs: ["sqitch.plan", "sqitch.conf"],
          files: ["deploy/appschema.sql", "deploy/users.sql"],
        },
      ],
    ],
    [
      "vendored and installed packages are skipped",
      [
        "node_modules/some-lib/migrations/1_init.sql",
        "vendor/github.com/x/migrations/1_init.up.sql",
        "analytics/dbt_packages/pkg/migrations/1_init.sql",
        "api/migrations/1_init.sql",
      ],
      [{ root: "api/migrations", tool: "numbered", files: ["api/migrations/1_init.sql"] }],
    ],
  ])("%s", (_name, paths, expected) => {
    expect(discover(paths)).toMatchObject(expected);
    expect(discover(paths)).toHaveLength(expected.length);
  });

  it("keeps several histories apart, sorted by root", () => {
    const sets = discover([
      "services/billing/migrations/2_b.up.sql",
      "services/billing/migrations/1_a.up.sql",
      "services/auth/db/migrations/20240101000000_users.sql",
      "./flyway/V1__init.sql",
    ]);
    expect(sets.map((set) => [set.root, set.tool, set.files.length])).toEqual([
      ["flyway", "flyway", 1],
      ["services/auth/db/migrations", "dbmate", 1],
      ["services/billing/migrations", "golang-migrate", 2],
    ]);
  });

  it("finds nothing in a repository without migrations", () => {
    expect(discover(["src/index.ts", "queries/report.sql", "README.md"])).toEqual([]);
  });
});

describe("discoverMigrations: configuration", () => {
  it("skips the ignore globs", () => {
    const config = parseRepoConfig("ignore: ['test/fixtures/**']\n");
    const sets = discoverMigrations(["test/fixtures/migrations/1_x.sql", "db/migrations/1_init.sql"], config);
    expect(sets.map((set) => set.root)).toEqual(["db/migrations"]);
  });

  it("an explicit entry wins over detection and carries its dialect", () => {
    const config = parseRepoConfig("migrations:\n  - { path: db/migrations, dialect: mysql }\n");
    const sets = discoverMigrations(
      [
        "db/migrations/2_orders.up.sql",
        "db/migrations/1_init.up.sql",
        "db/migrations/1_init.down.sql",
        "other/migrations/1_x.sql",
      ],
      config,
    );
    expect(sets).toEqual([
      {
        root: "db/migrations",
        tool: "golang-migrate",
        dialect: "mysql",
        dialectFromConfig: true,
        files: ["db/migrations/1_init.up.sql", "db/migrations/2_orders.up.sql"],
      },
      {
        root: "other/migrations",
        tool: "numbered",
        dialect: "postgres",
        files: ["other/migrations/1_x.sql"],
      },
    ]);
  });

  it("an explicit entry without a recognisable layout replays every .sql file in natural order", () => {
    const config = parseRepoConfig("migrations:\n  - { path: schema/, dialect: sqlite }\n");
    const sets = discoverMigrations(
      ["schema/v10/tables.sql", "schema/v2/tables.sql", "schema/v2/undo.sql"],
      config,
    );
    expect(sets).toEqual([
      {
        root: "schema",
        tool: "explicit",
        dialect: "sqlite",
        dialectFromConfig: true,
        files: ["schema/v2/tables.sql", "schema/v10/tables.sql"],
      },
    ]);
  });

  it("an explicit tool decides the ordering", () => {
    const config = parseRepoConfig("migrations:\n  - { path: sql, tool: flyway }\n");
    const [set] = discoverMigrations(
      ["sql/V2__b.sql", "sql/V10__c.sql", "sql/V1__a.sql", "sql/notes.sql"],
      config,
    );
    expect(set).toEqual({
      root: "sql",
      tool: "flyway",
      dialect: "postgres",
      files: ["sql/V1__a.sql", "sql/V2__b.sql", "sql/V10__c.sql"],
    });
  });

  it("a configured path that matches nothing is reported, not dropped", () => {
    const config = parseRepoConfig("migrations:\n  - { path: db/migrate }\n");
    const [set] = discoverMigrations(["db/migrations/1_init.up.sql"].slice(0, 0), config);
    expect(set?.files).toEqual([]);
    expect(set?.findings?.[0]?.message).toContain('"db/migrate" matches no file');
  });
});

describe("resolveMigrationSets", () => {
  const prisma = discover([
    "prisma/migrations/migration_lock.toml",
    "prisma/migrations/20240101000000_init/migration.sql",
  ]);
  const lock = (provider: string) =>
    new Map([
      [
        "prisma/migrations/migration_lock.toml",
        `# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "${provider}"\n`,
      ],
    ]);

  it.each([
    ["postgresql", "postgres"],
    ["mysql", "mysql"],
    ["sqlite", "sqlite"],
    ["cockroachdb", "postgres"],
  ])("Prisma provider %s is dialect %s", (provider, dialect) => {
    const [set] = resolveMigrationSets(prisma, lock(provider));
    expect(set).toMatchObject({ tool: "prisma", dialect });
    expect(set?.needs).toBeUndefined();
    expect(set?.findings).toBeUndefined();
  });

  it("an unsupported Prisma provider is a finding at the lock file's line", () => {
    const [set] = resolveMigrationSets(prisma, lock("sqlserver"));
    expect(set?.dialect).toBe("postgres");
    expect(set?.findings).toMatchObject([
      { rule: "migration-discovery", file: "prisma/migrations/migration_lock.toml", line: 3 },
    ]);
  });

  it("a dialect from the configuration wins over the lock file", () => {
    const config = parseRepoConfig("migrations:\n  - { path: prisma/migrations, dialect: postgres }\n");
    const sets = discoverMigrations(
      ["prisma/migrations/migration_lock.toml", "prisma/migrations/20240101000000_init/migration.sql"],
      config,
    );
    expect(resolveMigrationSets(sets, lock("mysql"))[0]?.dialect).toBe("postgres");
  });

  it("accepts a reader function", () => {
    const [set] = resolveMigrationSets(prisma, (path) => lock("mysql").get(path));
    expect(set?.dialect).toBe("mysql");
  });

  it("orders sqitch deploy scripts by the plan, reworks included, and reads the engine", () => {
    const sets = discover([
      "db/sqitch.plan",
      "db/sqitch.conf",
      "db/deploy/appschema.sql",
      "db/deploy/users.sql",
      "db/deploy/users@v1.0.sql",
      "db/deploy/flips.sql",
      "db/deploy/orphan.sql",
    ]);
    const plan = [
      "%syntax-version=1.0.0",
      "%project=flipr",
      "",
      "appschema 2024-01-01T10:00:00Z Marge <marge@example.com> # App schema.",
      "users [appschema] 2024-01-01T11:00:00Z Marge <marge@example.com> # Users.",
      "flips [appschema users] 2024-01-02T10:00:00Z Marge <marge@example.com> # Flips.",
      "@v1.0 2024-01-03T10:00:00Z Marge <marge@example.com> # Tag v1.0.",
      "",
      "users [users@v1.0] 2024-02-01T10:00:00Z Marge <marge@example.com> # Add twitter column.",
      "comments [users] 2024-02-02T10:00:00Z Marge <marge@example.com> # Not written yet.",
    ].join("\n");
    const conf =
      '[core]\n\tengine = mysql\n\ttop_dir = db\n[engine "mysql"]\n\ttarget = db:mysql://localhost/flipr\n';
    const [set] = resolveMigrationSets(
      sets,
      new Map([
        ["db/sqitch.plan", plan],
        ["db/sqitch.conf", conf],
      ]),
    );
    expect(set?.dialect).toBe("mysql");
    expect(set?.files).toEqual([
      "db/deploy/appschema.sql",
      "db/deploy/users@v1.0.sql",
      "db/deploy/flips.sql",
      "db/deploy/users.sql",
    ]);
    expect(set?.findings).toMatchObject([
      { file: "db/sqitch.plan", line: 10, message: expect.stringContaining('"comments"') },
    ]);
  });

  it("leaves sets without needs untouched", () => {
    const sets = discover(["migrations/1_init.up.sql"]);
    expect(resolveMigrationSets(sets, new Map())).toEqual(sets);
  });
});
