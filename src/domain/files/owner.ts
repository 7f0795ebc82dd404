/** Who owns what a key uploads or creates: its user (personal key) or its team (service-account key). */
import type { Principal } from '../key-cache';

export type Owner = { kind: 'user'; id: number } | { kind: 'team'; id: number };

export function ownerOf(p: Principal): Owner {
  return p.teamId !== null ? { kind: 'team', id: p.teamId } : { kind: 'user', id: p.userId };
}

/** SQL condition (and its parameter) selecting rows owned by `owner` in a table with owner_user_id/owner_team_id. */
export function ownerWhere(owner: Owner): { sql: string; param: number } {
  return owner.kind === 'team' ? { sql: 'owner_team_id = ?', param: owner.id } : { sql: 'owner_user_id = ? AND owner_team_id IS NULL', param: owner.id };
}
