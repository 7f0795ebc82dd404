/**
 * Ids of the responses the gateway makes itself (/v1/responses translated to chat) and of their items.
 *
 * A response id is `resp_` + 48 hex: 12 of the creation time in ms, then 36 random (144 bits), so ids
 * are unguessable yet ordered by time — like OpenAI's, whose ids also start with the time. The order
 * matters for keeping them: SQLite inserts ordered keys at the end of the id index, where random ones
 * dirtied a different page per row (measured: a 100-row write 3–4x slower, and slower as the table grew).
 *
 * An item id is the item's prefix (`msg_`, `fc_`, …) + the response's 48 hex + a counter (at least two
 * hex digits), so the response that holds an item is read off its id: items need no index of their own.
 * Shared by upstream/ (which makes the output items) and domain/ (which finds them again).
 */

const HEX = '0123456789abcdef';

function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let out = '';
  for (const x of b) out += HEX[x >> 4]! + HEX[x & 15]!;
  return out;
}

/** A new id for a response the gateway makes. */
export function newResponseId(now = Date.now()): string {
  return `resp_${now.toString(16).padStart(12, '0').slice(-12)}${randomHex(18)}`;
}

/**
 * When a response id of the gateway's form was made (epoch ms), or undefined for another form. Upstream ids
 * may look alike (OpenAI's are `resp_` + 48 hex too, starting with seconds): read a value as "made then" only
 * where it is plausible, as ResponseStore does (a past time).
 */
export function responseIdTime(id: string): number | undefined {
  return /^resp_[0-9a-f]{48}$/.test(id) ? parseInt(id.slice(5, 17), 16) : undefined;
}

/** Numbers the items of one response: inputs first (as the caller sends them), then outputs. */
export class ItemIds {
  private count = 0;
  private readonly hex: string;

  constructor(readonly responseId: string = newResponseId()) {
    this.hex = responseId.slice('resp_'.length);
  }

  next(prefix: string): string {
    return `${prefix}${this.hex}${(this.count++).toString(16).padStart(2, '0')}`;
  }
}

const ITEM = /^[a-z]+_([0-9a-f]{48})[0-9a-f]{2,}$/;

/** The response an item id names, if it has the gateway's form (anyone's id may look like it: check). */
export function responseOfItem(itemId: string): string | undefined {
  const m = ITEM.exec(itemId);
  return m === null ? undefined : `resp_${m[1]}`;
}
