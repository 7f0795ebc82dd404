/** What the key cache needs from settings and the router config to resolve a key's effective access. */
import type { RouterConfig } from '../config/router-config';
import type { Settings } from '../config/settings';
import type { AccessDefaults } from './key-cache';

/** `router` may be a getter, so that a reloaded config's aliases apply after the next key-cache reload. */
export function accessDefaults(settings: Pick<Settings, 'excludedModels' | 'excludedMcpServers'>, router: RouterConfig | (() => RouterConfig)): AccessDefaults {
  const current = typeof router === 'function' ? router : () => router;
  return {
    excludedModels: settings.excludedModels,
    excludedMcpServers: settings.excludedMcpServers,
    canonicalModel: (name) => current().aliases.get(name) ?? name,
  };
}
