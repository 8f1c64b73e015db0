import { createHmac, randomUUID } from "node:crypto";

/** Sends a webhook delivery the way GitHub does: JSON body, event and delivery headers, HMAC SHA-256 signature. */
export const sendDelivery = async ({
  url,
  secret,
  event,
  payload,
  id = randomUUID(),
  signatureSecret = secret,
}: {
  url: string;
  secret: string;
  event: string;
  payload: unknown;
  id?: string;
  /** A different secret gives a wrong signature. */
  signatureSecret?: string;
}): Promise<{ status: number; id: string; ms: number }> => {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac("sha256", signatureSecret).update(body).digest("hex")}`;
  const start = performance.now();
  const res = await fetch(`${url}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": id,
      "x-hub-signature-256": signature,
      "user-agent": "GitHub-Hookshot/test",
    },
    body,
  });
  await res.text();
  return { status: res.status, id, ms: performance.now() - start };
};
