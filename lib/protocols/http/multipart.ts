/**
 * multipart/form-data parsing (RFC 7578) for a body that is already fully in memory.
 *
 * Fields are merged PHP-style (`a[]`, `a[x]`) like query.ts; file parts are written to fresh
 * temp files (mode 0o600) in limits.tmpDir. Any throw removes the temp files written so far.
 */

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { QueryBuilder, QueryValue, splitQueryKey } from './query';

export interface UploadedFile {
  /** Client file name, reduced to its last path component (like PHP). '' when no file was chosen. */
  name: string;
  /** Temp file path; '' when error !== 0. Remove with removeUploads() after the response. */
  tmpName: string;
  /** Bytes; 0 when error !== 0 (as PHP). */
  size: number;
  /** The part's Content-Type ('application/octet-stream' when absent). */
  type: string;
  /** PHP UPLOAD_ERR_*: 0 OK, 1 over maxFileSize, 4 no file chosen, 6 no temp dir, 7 write failed. */
  error: number;
}

export interface MultipartLimits {
  /** Largest accepted file part in bytes; bigger ones get error 1 and no temp file. */
  maxFileSize: number;
  /** More file parts than this → EMULTIPART_LIMIT. */
  maxFiles: number;
  /** More non-file parts than this → EMULTIPART_LIMIT. */
  maxFields: number;
  /** A field value longer than this (bytes) → EMULTIPART_LIMIT. */
  maxFieldSize: number;
  tmpDir: string;
}

export const UPLOAD_ERR_OK = 0;
export const UPLOAD_ERR_INI_SIZE = 1;
export const UPLOAD_ERR_NO_FILE = 4;
export const UPLOAD_ERR_NO_TMP_DIR = 6;
export const UPLOAD_ERR_CANT_WRITE = 7;

/** Temp files are named `<tmpDir>/netwright.upload.<24 hex chars>`. */
export const UPLOAD_TMP_PREFIX = 'netwright.upload.';

/** Largest header block accepted for one part. */
const MAX_PART_HEAD = 16384;

export class MultipartError extends Error {
  readonly code: 'EMULTIPART' | 'EMULTIPART_LIMIT';
  constructor(code: 'EMULTIPART' | 'EMULTIPART_LIMIT', message: string) {
    super(message);
    this.name = 'MultipartError';
    this.code = code;
  }
}

function malformed(message: string): MultipartError {
  return new MultipartError('EMULTIPART', message);
}

/** RFC 2046 bchars, 1..70 characters, not ending in a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/** The boundary parameter of a multipart/form-data content type; throws EMULTIPART if missing or invalid. */
export function multipartBoundary(contentType: string): string {
  if (typeof contentType !== 'string') throw malformed('no content type');
  const semi = contentType.indexOf(';');
  const mediaType = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (mediaType !== 'multipart/form-data') throw malformed(`not multipart/form-data: ${mediaType}`);
  const params = semi < 0 ? Object.create(null) : parseParams(contentType, semi);
  const boundary = params['boundary'];
  if (boundary === undefined || !BOUNDARY.test(boundary)) throw malformed('missing or invalid multipart boundary');
  return boundary;
}

/**
 * Parses `; key=value; key="quoted"` parameters starting at `from` (a ';' or the first char
 * after the type). Keys are lower-cased; the first occurrence wins. In quoted strings only
 * `\"` and `\\` are escapes (browsers send Windows paths with bare backslashes).
 */
function parseParams(s: string, from: number): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  let i = from;
  const n = s.length;
  while (i < n) {
    while (i < n && (s[i] === ';' || s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= n) break;
    const eq = s.indexOf('=', i);
    const nextSemi = s.indexOf(';', i);
    if (eq < 0 || (nextSemi >= 0 && nextSemi < eq)) {
      // a parameter without '=' (e.g. the "form-data" type itself): skip it
      i = nextSemi < 0 ? n : nextSemi + 1;
      continue;
    }
    const key = s.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    let value = '';
    if (s[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = s[i];
        if (c === '\\' && (s[i + 1] === '"' || s[i + 1] === '\\')) {
          value += s[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) throw malformed('unterminated quoted parameter');
      const semi = s.indexOf(';', i);
      i = semi < 0 ? n : semi + 1;
    } else {
      const semi = s.indexOf(';', i);
      const end = semi < 0 ? n : semi;
      value = s.slice(i, end).trim();
      i = end + 1;
    }
    if (key !== '' && !(key in out)) out[key] = value;
  }
  return out;
}

/** RFC 5987 ext-value: `UTF-8''%e2%82%ac.txt` (charset utf-8 or iso-8859-1); null if unusable. */
function decodeExtValue(v: string): string | null {
  const m = /^([A-Za-z0-9!#$%&+\-^_`{}~]+)'[^']*'(.*)$/.exec(v);
  if (!m) return null;
  const charset = m[1].toLowerCase();
  const encoding: BufferEncoding | null = charset === 'utf-8' ? 'utf8' : charset === 'iso-8859-1' ? 'latin1' : null;
  if (!encoding) return null;
  const bytes: number[] = [];
  const text = m[2];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      return null;
    }
  }
  return Buffer.from(bytes).toString(encoding);
}

function baseName(filename: string): string {
  const cut = Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\'));
  return cut < 0 ? filename : filename.slice(cut + 1);
}

interface PartHead {
  name: string | null;
  filename: string | null;
  type: string | null;
}

function parsePartHead(head: string): PartHead {
  const result: PartHead = { name: null, filename: null, type: null };
  if (head === '') return result;
  let disposition: string | null = null;
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('malformed part header');
    const hname = line.slice(0, colon).trim().toLowerCase();
    const hvalue = line.slice(colon + 1).trim();
    if (hname === 'content-disposition' && disposition === null) disposition = hvalue;
    else if (hname === 'content-type' && result.type === null) result.type = hvalue;
  }
  if (disposition === null) return result;
  const semi = disposition.indexOf(';');
  const dtype = (semi < 0 ? disposition : disposition.slice(0, semi)).trim().toLowerCase();
  if (dtype !== 'form-data') return result;
  const params = semi < 0 ? Object.create(null) : parseParams(disposition, semi);
  if (params['name'] !== undefined) result.name = params['name'];
  if (params['filename*'] !== undefined) {
    const decoded = decodeExtValue(params['filename*']);
    if (decoded !== null) result.filename = decoded;
  }
  if (result.filename === null && params['filename'] !== undefined) result.filename = params['filename'];
  return result;
}

/**
 * Parses a multipart/form-data body.
 *
 * Throws an Error with `code` 'EMULTIPART' when the content type has no valid boundary or the
 * body is malformed (no opening or closing delimiter, bad part headers), and 'EMULTIPART_LIMIT'
 * past maxFiles / maxFields / maxFieldSize; in both cases the temp files already written are
 * removed. Parts without a form-data Content-Disposition name are skipped (they still count
 * against maxFields). A file part with an empty filename and no content is PHP's "no file"
 * (error 4). File field names: `f` → one UploadedFile (a later `f` replaces it and its temp file
 * is removed), `f[]` / `f[key]` → appended to an array under `f`.
 */
export function parseMultipart(
  body: Buffer,
  contentType: string,
  limits: MultipartLimits,
): { fields: Record<string, QueryValue>; files: Record<string, UploadedFile | UploadedFile[]> } {
  const boundary = multipartBoundary(contentType);
  const fields = new QueryBuilder();
  const files: Record<string, UploadedFile | UploadedFile[]> = Object.create(null);
  try {
    parseParts(body, boundary, limits, fields, files);
  } catch (err) {
    removeUploads(files);
    throw err;
  }
  return { fields: fields.toObject(), files };
}

function parseParts(
  body: Buffer,
  boundary: string,
  limits: MultipartLimits,
  fields: QueryBuilder,
  files: Record<string, UploadedFile | UploadedFile[]>,
): void {
  const delim = Buffer.from('--' + boundary, 'latin1');
  const crlfDelim = Buffer.from('\r\n--' + boundary, 'latin1');
  let pos: number;
  if (body.length >= delim.length && body.subarray(0, delim.length).equals(delim)) {
    pos = 0;
  } else {
    const idx = body.indexOf(crlfDelim); // a preamble may precede the first delimiter
    if (idx < 0) throw malformed('no multipart delimiter');
    pos = idx + 2;
  }
  let fileCount = 0;
  let fieldCount = 0;
  for (;;) {
    pos += delim.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return; // close delimiter; epilogue ignored
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++; // transport padding
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) throw malformed('bad multipart delimiter line');
    pos += 2;
    let head: string;
    let contentStart: number;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) {
      head = '';
      contentStart = pos + 2;
    } else {
      const headEnd = body.indexOf('\r\n\r\n', pos, 'latin1');
      if (headEnd < 0) throw malformed('unterminated part header');
      if (headEnd - pos > MAX_PART_HEAD) throw malformed('part header too large');
      head = body.toString('utf8', pos, headEnd);
      contentStart = headEnd + 4;
    }
    const next = body.indexOf(crlfDelim, contentStart);
    if (next < 0) throw malformed('missing closing multipart delimiter');
    const content = body.subarray(contentStart, next);
    pos = next + 2;

    const part = parsePartHead(head);
    if (part.filename !== null && part.name !== null && part.name !== '') {
      if (++fileCount > limits.maxFiles) {
        throw new MultipartError('EMULTIPART_LIMIT', `more than ${limits.maxFiles} files`);
      }
      addFile(files, part.name, storeFile(part.filename, part.type, content, limits));
    } else {
      if (++fieldCount > limits.maxFields) {
        throw new MultipartError('EMULTIPART_LIMIT', `more than ${limits.maxFields} fields`);
      }
      if (part.name === null || part.name === '') continue;
      if (content.length > limits.maxFieldSize) {
        throw new MultipartError('EMULTIPART_LIMIT', `field ${JSON.stringify(part.name)} over ${limits.maxFieldSize} bytes`);
      }
      fields.add(part.name, content.toString('utf8'));
    }
  }
}

function storeFile(filename: string, type: string | null, content: Buffer, limits: MultipartLimits): UploadedFile {
  const file: UploadedFile = {
    name: baseName(filename),
    tmpName: '',
    size: 0,
    type: type || 'application/octet-stream',
    error: UPLOAD_ERR_OK,
  };
  if (filename === '' && content.length === 0) {
    file.error = UPLOAD_ERR_NO_FILE;
    file.type = type || '';
    return file;
  }
  if (content.length > limits.maxFileSize) {
    file.error = UPLOAD_ERR_INI_SIZE;
    return file;
  }
  const tmpName = path.join(limits.tmpDir, UPLOAD_TMP_PREFIX + crypto.randomBytes(12).toString('hex'));
  try {
    fs.writeFileSync(tmpName, content, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    file.error = code === 'ENOENT' || code === 'ENOTDIR' ? UPLOAD_ERR_NO_TMP_DIR : UPLOAD_ERR_CANT_WRITE;
    try {
      fs.unlinkSync(tmpName);
    } catch {
      // nothing was created
    }
    return file;
  }
  file.tmpName = tmpName;
  file.size = content.length;
  return file;
}

function addFile(files: Record<string, UploadedFile | UploadedFile[]>, fieldName: string, file: UploadedFile): void {
  const parts = splitQueryKey(fieldName);
  if (!parts) {
    // ignored name (e.g. __proto__): don't keep the temp file
    removeUploads({ f: file });
    return;
  }
  const base = parts[0];
  const existing = files[base];
  if (parts.length === 1) {
    if (existing !== undefined) removeUploads({ f: existing });
    files[base] = file;
  } else if (existing === undefined) {
    files[base] = [file];
  } else if (Array.isArray(existing)) {
    existing.push(file);
  } else {
    files[base] = [existing, file];
  }
}

/** Deletes the temp file of every upload (ENOENT and other unlink errors are ignored). */
export function removeUploads(files: Record<string, UploadedFile | UploadedFile[]>): void {
  for (const key of Object.keys(files)) {
    const entry = files[key];
    for (const file of Array.isArray(entry) ? entry : [entry]) {
      if (file && file.tmpName) {
        try {
          fs.unlinkSync(file.tmpName);
        } catch {
          // already gone (ENOENT) or moved away by the application
        }
      }
    }
  }
}
