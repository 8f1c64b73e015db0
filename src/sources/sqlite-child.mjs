// A forked process does not inherit the parent's TypeScript loader (vitest transforms in-process;
// `node bin/covenant.js` registers tsx only in its own process), so the child registers tsx itself.
import { register } from "tsx/esm/api";

register();
await import("./sqlite-child.ts");
