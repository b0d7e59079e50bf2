/**
 * Crash-safe persisted files for the engine host: library, chats, settings (and any other small
 * state). Every file is a versioned envelope `{ magic, version, checksum, payload }` written
 * atomically: temp file in the same directory -> write -> fsync -> rename -> fsync(directory).
 * A file that fails its magic / version / checksum is moved aside (never deleted: nothing is
 * lost) and the caller gets the default plus a notice.
 *
 * A full disk surfaces as `disk-full` with a hint; the previous file stays intact because the
 * rename never happens.
 *
 * Extend: call `readVersioned(path, magic, version, migrate, fallback)` with a migration from
 * older versions; bump `version` when the payload's shape changes.
 */

import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LongreadError } from '../errors.ts';

export interface Envelope<T> {
  magic: string;
  version: number;
  checksum: string;
  payload: T;
}

export function defaultDataDir(): string {
  if (process.env.LONGREAD_DATA_DIR) return path.resolve(process.env.LONGREAD_DATA_DIR);
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'Longread');
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'Longread');
  const xdg = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(xdg, 'longread');
}

function ioError(e: unknown, file: string, what: string): LongreadError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new LongreadError('disk-full', `The disk is full: could not ${what} ${file}.`, 'Free some disk space, then try again. Your previous data is unchanged.', { file });
  }
  return new LongreadError('io-error', `Could not ${what} ${file}: ${(e as Error).message}`, 'Check that the folder exists and is writable.', { file, errno: code });
}

/** Writes `data` to `file` atomically (temp + fsync + rename + directory fsync). */
export async function atomicWrite(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.mkdir(dir, { recursive: true });
    const fh = await fs.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw ioError(e, file, 'write');
  }
  // Make the rename durable; not every platform can open a directory (Windows), so best effort.
  try {
    const dh = await fs.open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    /* directory fsync unsupported here */
  }
}

export function checksumOf(json: string): string {
  return createHash('sha256').update(json).digest('hex');
}

export async function writeVersioned<T>(file: string, magic: string, version: number, payload: T): Promise<void> {
  const body = JSON.stringify(payload);
  const env = `{"magic":${JSON.stringify(magic)},"version":${version},"checksum":"${checksumOf(body)}","payload":${body}}\n`;
  await atomicWrite(file, env);
}

export interface ReadResult<T> {
  value: T;
  /** Set when the file existed but was unreadable and was moved aside. */
  recovered?: { movedTo: string; reason: string };
}

/**
 * Reads a versioned file. Missing -> fallback. Corrupt / wrong magic / newer version -> the file
 * is renamed to `<file>.corrupt-<time>` and fallback is returned with `recovered` set.
 */
export async function readVersioned<T>(
  file: string,
  magic: string,
  version: number,
  fallback: () => T,
  migrate?: (payload: unknown, fromVersion: number) => T,
): Promise<ReadResult<T>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { value: fallback() };
    throw ioError(e, file, 'read');
  }
  const reason = validate(text, magic, version, migrate !== undefined);
  if (reason === null) {
    const env = JSON.parse(text) as Envelope<unknown>;
    const value = env.version === version ? (env.payload as T) : migrate!(env.payload, env.version);
    return { value };
  }
  const movedTo = `${file}.corrupt-${Date.now()}`;
  await fs.rename(file, movedTo).catch(() => undefined);
  return { value: fallback(), recovered: { movedTo, reason } };
}

function validate(text: string, magic: string, version: number, canMigrate: boolean): string | null {
  let env: Envelope<unknown>;
  try {
    env = JSON.parse(text) as Envelope<unknown>;
  } catch {
    return 'not valid JSON (truncated or corrupted)';
  }
  if (!env || typeof env !== 'object' || env.magic !== magic) return `wrong magic (expected ${magic})`;
  if (typeof env.version !== 'number' || env.version > version) return `unsupported version ${String(env.version)}`;
  if (env.version < version && !canMigrate) return `old version ${env.version} without a migration`;
  if (checksumOf(JSON.stringify(env.payload)) !== env.checksum) return 'checksum mismatch';
  return null;
}
