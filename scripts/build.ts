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
// Packages stay external (the package's dependencies, resolved from node_modules), except the few
// pure-JavaScript ones every command loads (see VENDORED below).
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
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

/**
 * Pure-JavaScript packages on the path of every analysis, each compiled into one file,
 * dist/vendor/<name>.js, that dist/ imports instead of the package. Node resolves, reads and
 * compiles a package file by file: zod is 95 modules, yaml 72, semver 47, and loading the six from
 * node_modules took ~0.25 s of CPU against ~0.1 s as six files (measured on this project's
 * machine, loaded; `covenant check` on examples/shop ~15% less CPU). @hono/zod-openapi is here
 * because it extends zod: built with it, both share the one copy of zod in dist/ (the API's
 * schemas and the core's are made by the same `z`). Native, WebAssembly and large server-only
 * packages (better-sqlite3, DuckDB, libpg-query, node-sql-parser, Prisma, probot, pino, pg, hono)
 * stay in node_modules: they load only on the commands that use them, and some find files
 * beside their own code. The sources and the tests (through tsx) import the packages themselves.
 */
const VENDORED = ["commander", "yaml", "semver", "picomatch", "re2js", "zod", "@hono/zod-openapi"];
const vendorFile = (name: string) => `${name.replace(/^@/, "").replace(/\//g, "-")}.js`;

/** Each vendored package as an ES module with the package's own exports, as Node would import it. */
const vendorEntries: Plugin = {
  name: "vendor-entries",
  setup(b) {
    b.onResolve({ filter: /^vendor:/ }, (args) => ({ path: args.path.slice(7), namespace: "vendor" }));
    b.onLoad({ filter: /.*/, namespace: "vendor" }, async (args) => {
      // The names Node gives an ES module importing the package (CommonJS ones included).
      const namespace = (await import(args.path)) as Record<string, unknown>;
      const names = Object.keys(namespace).filter((n) => n !== "default" && /^[A-Za-z_$][\w$]*$/.test(n));
      const from = JSON.stringify(args.path);
      return {
        contents: [
          `import * as ns from ${from};`,
          ...("default" in namespace ? ["export default ns.default;"] : []),
          `export const { ${names.join(", ")} } = ns;`,
        ].join("\n"),
        resolveDir: root,
        loader: "js",
      };
    });
  },
};

/** Imports of a vendored package go to its file in dist/vendor, relative to the importing module. */
const useVendored: Plugin = {
  name: "use-vendored",
  setup(b) {
    b.onResolve({ filter: /^[@a-z]/ }, (args) => {
      if (!VENDORED.includes(args.path) || args.kind === "entry-point") return undefined;
      const target = relative(dirname(args.importer), join(src, "vendor", vendorFile(args.path)));
      return { path: target.startsWith(".") ? target : `./${target}`, external: true };
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
  plugins: [keepModules, useVendored],
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
const vendored = await build({
  entryPoints: Object.fromEntries(VENDORED.map((name) => [vendorFile(name).slice(0, -3), `vendor:${name}`])),
  outdir: join(outdir, "vendor"),
  bundle: true,
  splitting: true,
  external: ["hono", "hono/*"],
  plugins: [vendorEntries],
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
  legalComments: "none",
  // CommonJS inside an ES module: its require() of Node's built-ins needs a real require.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
});
if (vendored.errors.length > 0) process.exit(1);
if (process.env.BUILD_VERBOSE)
  process.stderr.write(`build: ${files.length} modules → ${relative(root, outdir)}/\n`);
// Written last, so its time says when a complete build ended (bin/covenant.js compares it with src/).
writeFileSync(join(outdir, ".build-stamp"), `${new Date().toISOString()}\n`);
