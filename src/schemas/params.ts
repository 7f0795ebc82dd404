/**
 * Integer query and path parameters (`limit`, numeric ids, `org_id`).
 *
 * Query strings and paths carry text, so the value is accepted as a string of digits and decoded to a
 * number. Elysia's own t.Numeric / t.Integer are not used: t.Numeric lets 1.5 through (SQLite then fails
 * with "datatype mismatch", a 500), and both check the range only after decoding, in an error that no
 * longer knows the parameter's name (the caller got "The request body must be a JSON object."). Here the
 * range check throws the 400 itself, naming the parameter. The API document shows the plain integer
 * branch (src/http/openapi.ts), so Swagger UI offers the default instead of the string branch's 0.
 */
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { t } from 'elysia';
import { ApiError } from '../http/api-error';

export interface IntegerOptions {
  minimum: number;
  maximum: number;
  default?: number;
  description?: string;
}

/** Digits with an optional sign: no decimals, exponents, hex, spaces or empty strings. */
const DIGITS = '^-?[0-9]{1,20}$';

export const invalidInteger = (name: string, o: IntegerOptions) =>
  new ApiError(400, `Invalid value for '${name}': expected an integer from ${o.minimum} to ${o.maximum}.`, { param: name, code: 'invalid_value' });

/** An integer parameter called `name` (the name is repeated because the decoder is not told it). */
export function integerParam(name: string, options: IntegerOptions) {
  const integer = Type.Integer(options);
  const check = TypeCompiler.Compile(integer);
  return t
    .Transform(t.Union([t.String({ pattern: DIGITS }), integer], options))
    .Decode((value) => {
      const n = Number(value);
      if (!check.Check(n)) throw invalidInteger(name, options);
      return n;
    })
    .Encode((value) => value);
}

/** A database id in a path or query: a positive integer JavaScript and SQLite hold exactly. */
export const idParam = (name: string, description?: string) =>
  integerParam(name, { minimum: 1, maximum: Number.MAX_SAFE_INTEGER, ...(description ? { description } : {}) });
