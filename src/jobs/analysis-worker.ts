import { parentPort } from "node:worker_threads";
import { analyze } from "../core/analyze.ts";
import { type AnalysisRequest, type AnalysisResponse, toWireError } from "./analysis-pool.ts";

/** One analysis thread of the pool: one request at a time, answered with the result or the error. */
const port = parentPort;
if (!port) throw new Error("the analysis worker runs only as a worker thread");

port.on("message", async ({ input }: AnalysisRequest) => {
  let response: AnalysisResponse;
  try {
    response = { type: "result", ok: true, result: await analyze(input) };
  } catch (error) {
    response = { type: "result", ok: false, error: toWireError(error) };
  }
  port.postMessage(response);
});
port.postMessage({ type: "ready" } satisfies AnalysisResponse);
