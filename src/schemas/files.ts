/** The OpenAI file object and list, for answers and the OpenAPI document. */
import { Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { CursorPageOf } from './common';
import type { StoredFile } from '../domain/files/file-store';

export const FileObject = t.Object({
  id: t.String(),
  object: t.Literal('file'),
  bytes: Type.Integer(),
  created_at: Type.Integer({ description: 'Unix seconds' }),
  expires_at: t.Union([Type.Integer(), t.Null()]),
  filename: t.String(),
  purpose: t.String(),
  status: t.String(),
  status_details: t.Null(),
});

export const FileList = CursorPageOf(FileObject);

export const FileDeleted = t.Object({ id: t.String(), object: t.Literal('file'), deleted: t.Literal(true) });

export const fileJson = (f: StoredFile) => ({
  id: f.id,
  object: 'file' as const,
  bytes: f.bytes,
  created_at: Math.floor(f.createdAt / 1000),
  expires_at: f.expiresAt === null ? null : Math.floor(f.expiresAt / 1000),
  filename: f.filename,
  purpose: f.purpose,
  status: 'processed',
  status_details: null,
});
