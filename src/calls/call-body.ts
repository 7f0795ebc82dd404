/** What the gateway takes out of a model call's body before it goes upstream, for live calls and batch lines alike. */

/** Removes Aqueduct's `user_id` body field (never forwarded) and returns it as a string (recorded with the usage). */
export function takeUserId(body: Record<string, unknown>): string {
  if (!('user_id' in body)) return '';
  const v = body.user_id;
  delete body.user_id;
  return v === null || v === undefined ? '' : (typeof v === 'string' ? v : JSON.stringify(v)).slice(0, 256);
}
