import { createRequire } from "node:module";

// package.json sits one folder up from src/ and from dist/ alike.
const manifest = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** The installed package's version: `covenant --version`, and every request Covenant sends to GitHub. */
export const VERSION = manifest.version;

/** How Covenant names itself to GitHub (User-Agent), so an API owner can tell its requests apart. */
export const USER_AGENT = `covenant/${VERSION}`;
