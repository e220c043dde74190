/**
 * Tar headers as OCI layers use them: ustar, with a PAX extended header in
 * front when a name, link or number does not fit ustar's fields, or when the
 * entry carries xattrs (SCHILY.xattr.*, the names GNU tar and Go both read).
 */
import { UnrepresentableEntryError } from './errors.js';

export const BLOCK_SIZE = 512;

export type TarTypeFlag = '0' | '1' | '2' | '3' | '4' | '5' | '6' | 'x';

export interface TarHeaderFields {
  /** Entry name as it goes in the tar (directories end in '/'). */
  name: string;
  typeFlag: TarTypeFlag;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Whole seconds since the epoch. */
  mtime: number;
  linkName?: string;
  devMajor?: number;
  devMinor?: number;
  xattrs?: Record<string, Buffer>;
}

const NAME_BYTES = 100;
const PREFIX_BYTES = 155;
const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;

function isPlainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0 || code > 0x7e) return false;
  }
  return true;
}

/** ustar name + prefix split, or undefined when the name needs PAX. */
function splitUstarName(name: string): { name: string; prefix: string } | undefined {
  if (!isPlainAscii(name)) return undefined;
  if (name.length <= NAME_BYTES) return { name, prefix: '' };
  // The prefix ends at a '/', which is not stored; the name keeps the rest.
  const searchEnd = Math.min(name.length - 1, PREFIX_BYTES);
  for (let slash = name.lastIndexOf('/', searchEnd); slash > 0; slash = name.lastIndexOf('/', slash - 1)) {
    const rest = name.slice(slash + 1);
    if (rest.length > NAME_BYTES) return undefined;
    if (rest.length > 0 && slash <= PREFIX_BYTES) return { name: rest, prefix: name.slice(0, slash) };
  }
  return undefined;
}

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  // width includes the terminating NUL.
  const digits = value.toString(8).padStart(width - 1, '0');
  block.write(digits, offset, width - 1, 'latin1');
  block[offset + width - 1] = 0;
}

function writeString(block: Buffer, offset: number, width: number, value: string): void {
  block.write(value, offset, width, 'utf8');
}

/** One PAX record: "<len> <key>=<value>\n", where len counts the whole record. */
function paxRecord(key: string, value: Buffer | string): Buffer {
  const valueBytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const body = Buffer.byteLength(key) + valueBytes.length + 3; // ' ', '=', '\n'
  let length = body + 1;
  while (body + String(length).length !== length) length = body + String(length).length;
  return Buffer.concat([Buffer.from(`${length} ${key}=`, 'utf8'), valueBytes, Buffer.from('\n')]);
}

function ustarBlock(fields: TarHeaderFields, name: { name: string; prefix: string }, linkName: string): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  writeString(block, 0, NAME_BYTES, name.name);
  writeOctal(block, 100, 8, fields.mode & 0o7777);
  writeOctal(block, 108, 8, fields.uid <= MAX_OCTAL_7 ? fields.uid : 0);
  writeOctal(block, 116, 8, fields.gid <= MAX_OCTAL_7 ? fields.gid : 0);
  writeOctal(block, 124, 12, fields.size <= MAX_OCTAL_11 ? fields.size : 0);
  writeOctal(block, 136, 12, fields.mtime >= 0 && fields.mtime <= MAX_OCTAL_11 ? fields.mtime : 0);
  block.fill(0x20, 148, 156); // checksum is summed with its own field as spaces
  block.write(fields.typeFlag, 156, 1, 'latin1');
  writeString(block, 157, NAME_BYTES, linkName);
  block.write('ustar\u000000', 257, 8, 'latin1');
  if (fields.typeFlag === '3' || fields.typeFlag === '4') {
    const major = fields.devMajor ?? 0;
    const minor = fields.devMinor ?? 0;
    if (major > MAX_OCTAL_7 || minor > MAX_OCTAL_7) {
      throw new UnrepresentableEntryError(fields.name, `device number ${major}:${minor} is too large for ustar`);
    }
    writeOctal(block, 329, 8, major);
    writeOctal(block, 337, 8, minor);
  }
  writeString(block, 345, PREFIX_BYTES, name.prefix);
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) sum += block[i]!;
  block.write(sum.toString(8).padStart(6, '0'), 148, 6, 'latin1');
  block[154] = 0;
  block[155] = 0x20;
  return block;
}

/** A short, ASCII name for the PAX header entry itself (readers ignore it). */
function paxEntryName(name: string): string {
  const trimmed = name.endsWith('/') ? name.slice(0, -1) : name;
  const base = trimmed.slice(trimmed.lastIndexOf('/') + 1).replace(/[^\x20-\x7e]/g, '_');
  return `PaxHeaders.0/${base}`.slice(0, NAME_BYTES);
}

/**
 * The header blocks of one entry: a PAX header (with its data, padded) when
 * needed, then the ustar header. The entry's own data follows it in the tar.
 */
export function encodeTarHeader(fields: TarHeaderFields): Buffer {
  const records: Buffer[] = [];
  let ustarName = splitUstarName(fields.name);
  if (!ustarName) {
    records.push(paxRecord('path', fields.name));
    const fallback = fields.name.replace(/[^\x20-\x7e]/g, '_');
    ustarName = { name: fallback.slice(-NAME_BYTES).replace(/^\/+/, ''), prefix: '' };
  }
  let linkName = fields.linkName ?? '';
  if (linkName.length > 0 && (Buffer.byteLength(linkName) > NAME_BYTES || !isPlainAscii(linkName))) {
    records.push(paxRecord('linkpath', linkName));
    linkName = linkName.replace(/[^\x20-\x7e]/g, '_').slice(0, NAME_BYTES);
  }
  if (fields.uid > MAX_OCTAL_7) records.push(paxRecord('uid', String(fields.uid)));
  if (fields.gid > MAX_OCTAL_7) records.push(paxRecord('gid', String(fields.gid)));
  if (fields.size > MAX_OCTAL_11) records.push(paxRecord('size', String(fields.size)));
  if (fields.mtime < 0 || fields.mtime > MAX_OCTAL_11) records.push(paxRecord('mtime', String(fields.mtime)));
  if (fields.xattrs) {
    for (const key of Object.keys(fields.xattrs).sort()) {
      records.push(paxRecord(`SCHILY.xattr.${key}`, fields.xattrs[key]!));
    }
  }
  const header = ustarBlock(fields, ustarName, linkName);
  if (records.length === 0) return header;

  const paxData = Buffer.concat(records);
  const paxHeader = ustarBlock(
    {
      name: paxEntryName(fields.name),
      typeFlag: 'x',
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: paxData.length,
      mtime: Math.max(0, Math.min(fields.mtime, MAX_OCTAL_11)),
    },
    { name: paxEntryName(fields.name), prefix: '' },
    '',
  );
  const padding = Buffer.alloc(paddingFor(paxData.length));
  return Buffer.concat([paxHeader, paxData, padding, header]);
}

/** Zero bytes after `size` bytes of data to reach the next 512-byte boundary. */
export function paddingFor(size: number): number {
  const rest = size % BLOCK_SIZE;
  return rest === 0 ? 0 : BLOCK_SIZE - rest;
}
