/**
 * Octokit's RequestError carries the request it failed on, body included, and Probot logs
 * thrown errors with all their fields. Comment and check bodies hold plan output, so before
 * such an error propagates its request body is replaced. Status, URL and GitHub's own error
 * message stay for diagnosis.
 */
export async function withRedactedRequestBody<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    redactRequestBody(error);
    throw error;
  }
}

export const REDACTED_BODY = '[REDACTED: request body not logged]';

export function redactRequestBody(error: unknown): void {
  if (typeof error !== 'object' || error === null || !('request' in error)) return;
  const request = (error as { request: unknown }).request;
  if (typeof request === 'object' && request !== null && 'body' in request && request.body !== undefined) {
    (request as { body: unknown }).body = REDACTED_BODY;
  }
}
