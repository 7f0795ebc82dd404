/**
 * A realistic gateway for the benchmark: 4 orgs × 5 teams, 100 keys (80 personal keys, 20 service
 * accounts), rate limits set everywhere (high enough never to trigger), exclusions present.
 * Usage: bun bench/setup-aqueduct.ts DATA_DIR  → prints the keys as JSON
 */
import { openDatabase } from '../src/db/connection';
import { migrate } from '../src/db/migrate';
import { Directory } from '../src/domain/directory';

export async function setupAqueduct(dataDir: string): Promise<{ keys: string[]; adminKey: string }> {
  const h = openDatabase(dataDir);
  migrate(h.sqlite);
  const dir = new Directory(h.sql);
  const keys: string[] = [];
  const limits = { rpm: 10_000_000, itpm: 1_000_000_000, otpm: 1_000_000_000 };
  for (let o = 0; o < 4; o++) {
    const org = await dir.createOrg(`bench-org-${o}`);
    await dir.updateOrg(org.id, { ...limits, excludedModels: ['not-a-bench-model'] });
    for (let t = 0; t < 5; t++) {
      const team = await dir.createTeam(org.id, `team-${t}`);
      await dir.updateTeam(team.id, limits);
      for (let u = 0; u < 5; u++) {
        const user = await dir.createUser(`u${o}-${t}-${u}@bench.example`, org.id);
        await dir.setMember(team.id, user.id, u === 0);
        if (u < 4) keys.push((await dir.tokens.createKey(user.id, 'bench')).key);
        else keys.push((await dir.createServiceAccount(team.id, `bot-${u}`, '', user.id)).key);
        if (u === 1) await dir.updateUser(user.id, { rpm: 5_000_000 });
      }
    }
  }
  const admin = await dir.createUser('admin@bench.example', (await dir.listOrgs())[0]!.id, 'admin');
  const adminKey = (await dir.tokens.createKey(admin.id, 'bench admin')).key;
  h.close();
  return { keys, adminKey }; // keys: 4 orgs × 5 teams × (4 personal keys + 1 service account) = 100
}

if (import.meta.main) {
  console.log(JSON.stringify((await setupAqueduct(process.argv[2]!)).keys));
}
