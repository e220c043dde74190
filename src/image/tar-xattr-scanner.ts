/**
 * Reads the raw bytes of PAX `SCHILY.xattr.*` records from a tar stream.
 *
 * tar-stream decodes PAX values as UTF-8, which mangles binary xattrs such as
 * `security.capability`. This scanner walks the same bytes (it is fed the
 * uncompressed stream alongside the extractor) and queues, per entry in
 * archive order, the entry's name and its xattr values as Buffers. The
 * extractor takes one queue item per entry and checks the names agree.
 */
export interface ScannedEntry {
  name: string;
  xattrs: Map<string, Buffer>;
}

const blockSize = 512;
const xattrPrefix = 'SCHILY.xattr.';

export class TarXattrScanner {
  readonly entries: ScannedEntry[] = [];
  private header = Buffer.alloc(0);
  /** Bytes of the current body still to skip, and whether to keep them. */
  private bodyLeft = 0;
  private paddingLeft = 0;
  private collecting: 'pax' | 'global' | 'longname' | undefined;
  private collected: Buffer[] = [];
  private pax = new Map<string, Buffer>();
  private globalPax = new Map<string, Buffer>();
  private longName: string | undefined;

  feed(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, chunk.length - offset);
        if (this.collecting) this.collected.push(chunk.subarray(offset, offset + take));
        this.bodyLeft -= take;
        offset += take;
        if (this.bodyLeft === 0) this.finishBody();
        continue;
      }
      if (this.paddingLeft > 0) {
        const take = Math.min(this.paddingLeft, chunk.length - offset);
        this.paddingLeft -= take;
        offset += take;
        continue;
      }
      const take = Math.min(blockSize - this.header.length, chunk.length - offset);
      this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (this.header.length === blockSize) {
        const block = this.header;
        this.header = Buffer.alloc(0);
        this.onHeader(block);
      }
    }
  }

  private onHeader(block: Buffer): void {
    if (block.every((b) => b === 0)) return;
    const type = String.fromCharCode(block[156]!);
    let size = parseSize(block.subarray(124, 136));
    switch (type) {
      case 'x':
        this.startBody(size, 'pax');
        return;
      case 'g':
        this.startBody(size, 'global');
        return;
      case 'L':
        this.startBody(size, 'longname');
        return;
      case 'K':
        this.startBody(size, undefined);
        return;
    }
    const merged = new Map([...this.globalPax, ...this.pax]);
    const paxPath = merged.get('path');
    let name = paxPath ? paxPath.toString('utf8') : this.longName ?? ustarName(block);
    name = name.replace(/\/+$/, '');
    const xattrs = new Map<string, Buffer>();
    for (const [key, value] of merged) if (key.startsWith(xattrPrefix)) xattrs.set(key.slice(xattrPrefix.length), value);
    this.entries.push({ name, xattrs });
    const paxSize = merged.get('size');
    if (paxSize) size = Number.parseInt(paxSize.toString('utf8'), 10);
    this.pax = new Map();
    this.longName = undefined;
    // Links, directories and device nodes carry no body whatever the size field says.
    if (type === '1' || type === '2' || type === '3' || type === '4' || type === '5' || type === '6') size = 0;
    this.startBody(size, undefined);
  }

  private startBody(size: number, collecting: TarXattrScanner['collecting']): void {
    this.collecting = collecting;
    this.collected = [];
    this.bodyLeft = size;
    this.paddingLeft = (blockSize - (size % blockSize)) % blockSize;
    if (size === 0) this.finishBody();
  }

  private finishBody(): void {
    const body = Buffer.concat(this.collected);
    if (this.collecting === 'pax') this.pax = new Map([...this.pax, ...parsePaxRecords(body)]);
    else if (this.collecting === 'global') this.globalPax = new Map([...this.globalPax, ...parsePaxRecords(body)]);
    else if (this.collecting === 'longname') this.longName = body.toString('utf8').replace(/\0+$/, '');
    this.collecting = undefined;
    this.collected = [];
  }
}

function ustarName(block: Buffer): string {
  const name = cString(block.subarray(0, 100));
  const magic = block.subarray(257, 262).toString('latin1');
  if (magic === 'ustar') {
    const prefix = cString(block.subarray(345, 500));
    if (prefix) return `${prefix}/${name}`;
  }
  return name;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}

function parseSize(field: Buffer): number {
  // GNU base-256 for sizes beyond 8 GiB: high bit set on the first byte.
  if (field[0]! & 0x80) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/g, '').trim();
  return text ? Number.parseInt(text, 8) : 0;
}

/** PAX records are "<len> <key>=<value>\n", len counting the whole record. Values stay binary. */
export function parsePaxRecords(body: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number.parseInt(body.subarray(offset, space).toString('latin1'), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = body.subarray(space + 1, offset + length - 1);
    const eq = record.indexOf(0x3d);
    if (eq > 0) records.set(record.subarray(0, eq).toString('utf8'), Buffer.from(record.subarray(eq + 1)));
    offset += length;
  }
  return records;
}
