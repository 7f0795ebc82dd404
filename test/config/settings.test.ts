import { describe, expect, test } from 'bun:test';
import { parseMcpConfig } from '../../src/config/mcp-config';
import { resolveSettings } from '../../src/config/settings';
import { parseBytes, parseDurationMs } from '../../src/config/units';

describe('settings', () => {
  test('flag beats environment beats default', () => {
    const env = { AQUEDUCT_PORT: '9001', AQUEDUCT_HOST: '127.0.0.1' };
    const { settings, problems } = resolveSettings(new Map([['--port', '9002']]), env);
    expect(problems).toEqual([]);
    expect(settings.port).toBe(9002);
    expect(settings.host).toBe('127.0.0.1');
    expect(settings.dataDir).toBe('./data');
    expect(settings.corsOrigins).toEqual(['*']);
  });

  test('every invalid value is reported, naming its source', () => {
    const { problems } = resolveSettings(new Map([['--port', 'eighty']]), { AQUEDUCT_LOG_LEVEL: 'loud', AQUEDUCT_MAX_BODY_SIZE: 'big' });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toContain('--port="eighty"');
    expect(problems.join('\n')).toContain('AQUEDUCT_LOG_LEVEL="loud"');
    expect(problems.join('\n')).toContain('AQUEDUCT_MAX_BODY_SIZE="big"');
  });

  test('sizes and durations', () => {
    expect(parseBytes('32MB')).toBe(32 * 1024 * 1024);
    expect(parseBytes('1024')).toBe(1024);
    expect(parseDurationMs('30d')).toBe(30 * 86_400_000);
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('2')).toBe(2000);
    expect(() => parseDurationMs('soon')).toThrow();
  });
});

describe('mcp.json', () => {
  test('Aqueduct format with os.environ headers', () => {
    const text = JSON.stringify({
      mcpServers: {
        everything: { type: 'streamable-http', url: 'http://127.0.0.1:3001/mcp', description: 'demo', tags: ['test'], headers: { 'x-api-key': 'os.environ/MCP_KEY' } },
      },
    });
    const { config, problems } = parseMcpConfig(text, { MCP_KEY: 'secret' });
    expect(problems).toEqual([]);
    expect(config.servers.get('everything')).toMatchObject({ url: 'http://127.0.0.1:3001/mcp', tags: ['test'], headers: { 'x-api-key': 'secret' } });
  });

  test('problems: bad type, bad url, unset variable, bad name', () => {
    const text = JSON.stringify({ mcpServers: { 'a b': { type: 'stdio', url: 'nope', headers: { k: 'os.environ/NOPE' } } } });
    const { problems } = parseMcpConfig(text, {});
    expect(problems).toHaveLength(4);
  });
});
