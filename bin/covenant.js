#!/usr/bin/env node
// The `covenant` command: runs the JavaScript compiled into dist/ (`npm run build`, which `npm ci`
// and `npm install` run through `prepare`; the published package ships dist/ and no sources).
// In a checkout whose src/ changed after the last build, it runs the TypeScript sources through
// tsx instead (slower to start, never stale), so an edit is always what runs and what tests see.
import { existsSync, readdirSync, statSync } from "node:fs";

const root = new URL("../", import.meta.url);
const stamp = new URL("dist/.build-stamp", root);
const sources = new URL("src/", root);

const builtAfterEveryEdit = () => {
  if (!existsSync(sources)) return existsSync(stamp);
  let built;
  try {
    built = statSync(stamp).mtimeMs;
  } catch {
    return false;
  }
  for (const entry of readdirSync(sources, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && statSync(`${entry.parentPath}/${entry.name}`).mtimeMs > built) return false;
  }
  return true;
};

if (builtAfterEveryEdit()) {
  await import("../dist/cli/main.js");
} else if (existsSync(sources)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
} else {
  process.stderr.write(
    "covenant: this installation has no dist/ (compiled JavaScript): run `npm run build` in it\n",
  );
  process.exitCode = 2;
}
