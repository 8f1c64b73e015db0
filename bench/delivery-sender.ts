// The benchmark's webhook sender, on its own thread: the main thread also plays GitHub for the
// server, and its work there must not be counted in the acknowledgement times measured here.
import { connect } from "node:net";
import { parentPort } from "node:worker_threads";
import { type PreparedDelivery, prepareDelivery } from "../test/helpers/signed-delivery.ts";
import { examplePayload } from "../test/helpers/webhook-examples.ts";

export type PlannedDelivery = {
  event: "pull_request" | "check_suite";
  number: number;
  sha: string;
  id: string;
};
export type SendPlan = {
  url: string;
  secret: string;
  deliveries: PlannedDelivery[];
  /** Deliveries a second (each sent when due), or unset: as fast as `concurrency` allows. */
  rate?: number;
  /** At most this many unanswered deliveries at once. */
  concurrency: number;
};
/** One answered delivery: when it was sent (epoch ms), how long the answer took, its status. */
export type SentDelivery = { sentAt: number; ms: number; status: number };

const withRepository = (payload: Record<string, unknown>) => {
  const repository = payload.repository as Record<string, unknown>;
  payload.installation = { id: 7 };
  payload.repository = {
    ...repository,
    id: 99,
    name: "bench",
    full_name: "bench/bench",
    owner: { ...(repository.owner as object), login: "bench" },
  };
  return payload;
};
const templates = {
  pull_request: withRepository(examplePayload("pull_request", "opened")),
  check_suite: withRepository(examplePayload("check_suite", "requested")),
};

/** pull_request.opened of PR `number` at `sha`, or the check_suite.requested GitHub sends with it. */
const payloadOf = ({ event, number, sha }: PlannedDelivery) => {
  if (event === "pull_request") {
    const pr = templates.pull_request.pull_request as Record<string, unknown>;
    return {
      ...templates.pull_request,
      number,
      pull_request: { ...pr, number, head: { ...(pr.head as object), sha } },
    };
  }
  const suite = templates.check_suite.check_suite as Record<string, unknown>;
  return {
    ...templates.check_suite,
    check_suite: { ...suite, head_sha: sha, pull_requests: [{ number, head: { sha } }] },
  };
};

/**
 * The request as bytes, made before the first is sent: request line, headers and body, as GitHub's
 * sender writes them (HTTP/1.1, one delivery a connection, `Connection: close`).
 */
const requestBytes = (url: URL, { body, headers }: PreparedDelivery): Buffer => {
  const head = [
    `POST /api/github/webhooks HTTP/1.1`,
    `host: ${url.host}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    `content-length: ${Buffer.byteLength(body)}`,
    "connection: close",
    "",
    "",
  ].join("\r\n");
  return Buffer.concat([Buffer.from(head), Buffer.from(body)]);
};

/**
 * Posts one delivery on a connection of its own: connect, one write, read the answer until the
 * server closes the connection. A socket rather than node:http's client: the sender shares the
 * machine's two cores with the server, and the client's own request and response objects (about
 * as much work per request as the server's) were counted in every answer time of a burst, since
 * a burst's requests all leave together. `ms` runs from the connect to the end of the answer.
 */
const post = (url: URL, bytes: Buffer): Promise<{ status: number; ms: number }> =>
  new Promise((resolve, reject) => {
    const start = performance.now();
    const chunks: Buffer[] = [];
    const socket = connect(Number(url.port), url.hostname, () => socket.write(bytes));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const ms = performance.now() - start;
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(Buffer.concat(chunks).subarray(0, 16).toString("latin1"));
      if (status) resolve({ status: Number(status[1]), ms });
      else reject(new Error("the server closed the connection without an HTTP answer"));
    });
  });

const send = async (plan: SendPlan): Promise<SentDelivery[]> => {
  const results: SentDelivery[] = new Array(plan.deliveries.length);
  // Bodies are built and signed before the first is sent: building the rest while the first ones
  // are on their way would count the sender's own JSON and HMAC work in the server's answer time.
  const url = new URL(plan.url);
  const prepared = plan.deliveries.map((delivery) =>
    requestBytes(
      url,
      prepareDelivery({
        secret: plan.secret,
        event: delivery.event,
        payload: payloadOf(delivery),
        id: delivery.id,
      }),
    ),
  );
  const started = performance.now();
  let next = 0;
  let inFlight = 0;
  await new Promise<void>((resolve) => {
    let answered = 0;
    const pump = () => {
      const due = plan.rate
        ? Math.min(plan.deliveries.length, Math.floor(((performance.now() - started) / 1000) * plan.rate) + 1)
        : plan.deliveries.length;
      for (; next < due && inFlight < plan.concurrency; next++) {
        const i = next;
        const sentAt = Date.now();
        const sentMark = performance.now();
        inFlight++;
        void post(url, prepared[i]!).then(
          (answer) => {
            results[i] = { sentAt, ms: answer.ms, status: answer.status };
            inFlight--;
            if (++answered === plan.deliveries.length) resolve();
            else pump();
          },
          () => {
            results[i] = { sentAt, ms: performance.now() - sentMark, status: 0 };
            inFlight--;
            if (++answered === plan.deliveries.length) resolve();
            else pump();
          },
        );
      }
    };
    // Sends what is due by now: the rate holds even when a timer fires late.
    const tick = () => {
      pump();
      if (plan.rate && next < plan.deliveries.length) setTimeout(tick, 5);
    };
    if (plan.deliveries.length === 0) resolve();
    else tick();
  });
  return results;
};

parentPort?.on("message", (plan: SendPlan) => {
  void send(plan).then((results) => parentPort?.postMessage(results));
});
