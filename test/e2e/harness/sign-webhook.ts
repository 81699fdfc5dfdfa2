import { createHmac, randomUUID } from 'node:crypto';

/** GitHub's `X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256 of the exact body bytes with the webhook secret. */
export function signPayload(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Probot's default webhook path (`defaultWebhookPath` in probot's server); WEBHOOK_PATH overrides it. */
export const DEFAULT_WEBHOOK_PATH = '/api/github/webhooks';

export interface Delivery {
  /** Event name (`X-GitHub-Event`), e.g. `pull_request`. */
  name: string;
  /** Delivery id (`X-GitHub-Delivery`); a fresh UUID when absent. */
  id?: string;
  payload: unknown;
  secret: string;
  /** Overrides the computed signature; `null` sends no signature header at all. */
  signature?: string | null;
  path?: string;
}

export interface DeliveryResult {
  id: string;
  status: number;
  headers: Headers;
  body: string;
}

/** POSTs a webhook delivery to the app the way GitHub does: same headers, body signed byte for byte. */
export async function deliver(appUrl: string, delivery: Delivery): Promise<DeliveryResult> {
  const id = delivery.id ?? randomUUID();
  const body = JSON.stringify(delivery.payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/double',
    'x-github-event': delivery.name,
    'x-github-delivery': id,
    'x-github-hook-id': '1',
  };
  const signature = delivery.signature === undefined ? signPayload(delivery.secret, body) : delivery.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  const response = await fetch(new URL(delivery.path ?? DEFAULT_WEBHOOK_PATH, appUrl), { method: 'POST', headers, body });
  return { id, status: response.status, headers: response.headers, body: await response.text() };
}
