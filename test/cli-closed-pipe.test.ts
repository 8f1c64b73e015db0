// `covenant … | head`: a reader that closes the pipe early must not turn into a stack trace or
// change the command's exit code.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, test } from "vitest";

const BIN = resolve(import.meta.dirname, "../bin/covenant.js");

describe("stdout closed by its reader", () => {
  test("--help into a closed pipe ends quietly with exit 0", async () => {
    const child = spawn(process.execPath, [BIN, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    // Closed before the program writes anything: its first write fails with EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((done) => child.on("close", done));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });
});
