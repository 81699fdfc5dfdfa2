/**
 * Octokit throws a RequestError carrying the HTTP status. Adapters turn a few
 * expected statuses (404 mostly) into values; everything else propagates.
 */
export function hasHttpStatus(error: unknown, status: number): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'status' in error &&
    (error as { status: unknown }).status === status
  );
}
