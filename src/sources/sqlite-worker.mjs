// Worker threads do not inherit every runner's TypeScript loader (vitest transforms in-process;
// `node bin/covenant.js` registers tsx only on the main thread), so the worker registers tsx itself.
import { register } from "tsx/esm/api";

register();
await import("./sqlite-worker.ts");
