// `npm run build`: compiles src/ into dist/ once, so the installed command, `npm start` and the
// GitHub Action run plain JavaScript instead of compiling TypeScript on every start (tsx stays
// for development and tests).
//
// esbuild rather than tsc: it emits the whole tree (Prisma's generated clients included) in well
// under a second, where `tsc` takes tens of seconds here; type checking stays `npm run typecheck`.
// One output file per source file, at the same place under dist/ as under src/: a module's
// `import.meta.url` then points at the same relative places (../../app.yml, ../../prisma), every
// dynamic `import()` stays a lazy load of its own file (DuckDB, the Prisma schema engine, libpg-query
// and probot load only on the commands that need them), and stack traces name the source file.
// Packages stay external: they are the package's dependencies, resolved from node_modules.
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { build, type Plugin } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const src = join(root, "src");
const outdir = join(root, "dist");

/** Every module of src/ except tests and test kits (nothing at run time imports those). */
const entries = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entries(path);
    if (!/\.tsx?$/.test(entry.name) || entry.name.endsWith(".d.ts")) return [];
    if (/\.test\.tsx?$/.test(entry.name) || entry.name.endsWith("-test-kit.ts")) return [];
    return [path];
  });

/**
 * Keeps every relative import as an import of its own compiled file (`./x.ts` or `./x.tsx` → `./x.js`),
 * instead of inlining it: each source file becomes exactly one output file.
 */
const keepModules: Plugin = {
  name: "keep-modules",
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind === "entry-point") return undefined;
      return { path: args.path.replace(/\.tsx?$/, ".js"), external: true };
    });
  },
};

const files = entries(src);
if (!files.some((file) => file.includes(join("db", "generated")))) {
  process.stderr.write("build: src/db/generated is missing; run `npm run db:generate` first\n");
  process.exit(1);
}
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: files,
  outbase: src,
  outdir,
  bundle: true,
  packages: "external",
  plugins: [keepModules],
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  sourcesContent: false,
  logLevel: "warning",
  // The generated Prisma clients carry `// @ts-nocheck` and big base64 blobs: nothing to minify.
  legalComments: "none",
});
if (result.errors.length > 0) process.exit(1);
if (process.env.BUILD_VERBOSE)
  process.stderr.write(`build: ${files.length} modules → ${relative(root, outdir)}/\n`);
// Written last, so its time says when a complete build ended (bin/covenant.js compares it with src/).
writeFileSync(join(outdir, ".build-stamp"), `${new Date().toISOString()}\n`);
