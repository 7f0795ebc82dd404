/**
 * CSV for spreadsheets (RFC 4180). A field a spreadsheet would run as a formula (starting with =, +, -, @,
 * tab or CR) gets a leading apostrophe: names and end-user ids come from callers, and a download must not
 * become a way to run something on an admin's machine (CSV injection). Numbers are written as they are.
 */
export type Cell = string | number | null;

function field(c: Cell): string {
  if (c === null) return '';
  if (typeof c === 'number') return String(c);
  const safe = /^[=+\-@\t\r]/.test(c) ? `'${c}` : c;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}
