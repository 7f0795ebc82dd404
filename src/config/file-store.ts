/**
 * The AQUEDUCT_FILE_STORE setting's forms: unset → <data-dir>/files; s3://bucket/prefix → an S3-compatible
 * bucket; an absolute path → that directory (typically one several gateways mount, such as NFS).
 */
import { isAbsolute } from 'node:path';

export type FileStoreLocation = { kind: 'directory'; dir: string } | { kind: 's3'; bucket: string; prefix: string };

/** s3://bucket or s3://bucket/some/prefix → bucket and prefix ('' or ending in '/'); throws with the reason for anything else. */
export function parseS3Url(raw: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(raw);
  if (!m) throw new Error('expected s3://bucket/prefix');
  const bucket = m[1]!;
  // S3's bucket naming rules: 3-63 characters, lowercase letters, digits, dots and hyphens.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error(`"${bucket}" is not a valid bucket name`);
  const path = (m[2] ?? '').replace(/\/+$/, '');
  if (path.split('/').some((s) => s === '.' || s === '..') || path.includes('//')) throw new Error(`"${path}" is not a usable key prefix`);
  return { bucket, prefix: path === '' ? '' : `${path}/` };
}

/** The setting's parser: the value unchanged when usable ('' counts as unset), else an error saying what is expected. */
export function parseFileStore(raw: string): string | undefined {
  if (raw === '') return undefined;
  fileStoreLocation(raw, '');
  return raw;
}

export function fileStoreLocation(raw: string | undefined, dataDir: string): FileStoreLocation {
  if (raw === undefined || raw === '') return { kind: 'directory', dir: `${dataDir.replace(/\/+$/, '')}/files` };
  if (raw.startsWith('s3://')) return { kind: 's3', ...parseS3Url(raw) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) throw new Error('only s3:// URLs are supported (or an absolute directory path)');
  if (!isAbsolute(raw)) throw new Error('expected s3://bucket/prefix or an absolute directory path');
  return { kind: 'directory', dir: raw };
}
