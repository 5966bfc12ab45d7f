/** Content types by file extension, for static files and Response.withFile. */

import * as path from 'node:path';

const UTF8 = '; charset=utf-8';

/** Extension (lower case, no dot) → content type. Text types carry a UTF-8 charset. */
const TYPES: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  // text
  html: 'text/html' + UTF8,
  htm: 'text/html' + UTF8,
  css: 'text/css' + UTF8,
  js: 'text/javascript' + UTF8,
  mjs: 'text/javascript' + UTF8,
  cjs: 'text/javascript' + UTF8,
  json: 'application/json' + UTF8,
  map: 'application/json' + UTF8,
  webmanifest: 'application/manifest+json' + UTF8,
  txt: 'text/plain' + UTF8,
  text: 'text/plain' + UTF8,
  md: 'text/markdown' + UTF8,
  csv: 'text/csv' + UTF8,
  xml: 'application/xml' + UTF8,
  svg: 'image/svg+xml' + UTF8,
  ics: 'text/calendar' + UTF8,
  // images
  png: 'image/png',
  apng: 'image/apng',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  // fonts
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  eot: 'application/vnd.ms-fontobject',
  // audio / video
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  ogv: 'video/ogg',
  mov: 'video/quicktime',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/opus',
  flac: 'audio/flac',
  wav: 'audio/wav',
  // applications / archives
  wasm: 'application/wasm',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tgz: 'application/gzip',
  tar: 'application/x-tar',
  bz2: 'application/x-bzip2',
  xz: 'application/x-xz',
  '7z': 'application/x-7z-compressed',
  bin: 'application/octet-stream',
});

/**
 * The Content-Type for a file path, from its extension (case-insensitive).
 * Unknown or missing extensions (including dotfiles such as ".env") → application/octet-stream.
 */
export function contentTypeFor(filePath: string): string {
  const ext = path.extname(filePath).slice(1).toLowerCase();
  return (ext && TYPES[ext]) || 'application/octet-stream';
}
