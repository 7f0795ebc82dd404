/** What the key cache needs from settings and the router config to resolve a key's effective access. */
import type { RouterConfig } from '../config/router-config';
import type { Settings } from '../config/settings';
import type { AccessDefaults } from './key-cache';

export function accessDefaults(settings: Pick<Settings, 'excludedModels' | 'excludedMcpServers'>, router: RouterConfig): AccessDefaults {
  return {
    excludedModels: settings.excludedModels,
    excludedMcpServers: settings.excludedMcpServers,
    canonicalModel: (name) => router.aliases.get(name) ?? name,
  };
}
