/**
 * JSON Schema → the OpenAPI subset Gemini accepts in function declarations and `responseSchema`: only the
 * keywords it knows are kept (`additionalProperties`, `$schema`, `strict`, … are dropped, which Gemini
 * would refuse), and `type: [X, "null"]` becomes `type: X, nullable: true`. Local `$ref`s are inlined.
 */
type Json = Record<string, unknown>;
import { isObject } from '../../../json';

const KEEP = new Set(['type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required', 'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'items', 'anyOf', 'propertyOrdering', 'default']);

export function geminiSchema(schema: unknown, root: unknown = schema, depth = 0): unknown {
  if (!isObject(schema) || depth > 32) return schema;
  if (typeof schema.$ref === 'string' && schema.$ref.startsWith('#/')) {
    const target = schema.$ref.slice(2).split('/').reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), root);
    return geminiSchema(target, root, depth + 1);
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!KEEP.has(key)) continue;
    if (key === 'properties' && isObject(value)) out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, geminiSchema(v, root, depth + 1)]));
    else if (key === 'items') out.items = geminiSchema(value, root, depth + 1);
    else if (key === 'anyOf' && Array.isArray(value)) out.anyOf = value.map((v) => geminiSchema(v, root, depth + 1));
    else if (key === 'type' && Array.isArray(value)) {
      const types = value.filter((t) => t !== 'null');
      out.type = types[0];
      if (types.length < value.length) out.nullable = true;
    } else out[key] = value;
  }
  if (schema.oneOf !== undefined && Array.isArray(schema.oneOf) && out.anyOf === undefined) out.anyOf = schema.oneOf.map((v) => geminiSchema(v, root, depth + 1));
  if (schema.const !== undefined && out.enum === undefined) out.enum = [schema.const];
  return out;
}
