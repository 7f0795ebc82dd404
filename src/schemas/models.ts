import { Type } from '@sinclair/typebox';
import { t } from 'elysia';

export const Model = t.Object({
  id: t.String(),
  object: t.Literal('model'),
  // A plain integer: Elysia's t.Integer also accepts numeric strings, which the document would show.
  created: Type.Integer({ description: 'Unix seconds' }),
  owned_by: t.String(),
});

export const ModelList = t.Object({
  object: t.Literal('list'),
  data: t.Array(Model),
});
