import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { MAX_PROFILE_BYTES } from './limits.ts';

// The one read of a profile file from disk: only a regular file, and never more than the loader accepts.

function kindOf(s: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a plain file';
}

const notRegular = (file: string, kind: string): Error =>
  Object.assign(new Error(`it is ${kind}, not a regular file`), { code: "ENOTREG", path: file });

/**
 * Reads the profile at `file` as UTF-8, at most MAX_PROFILE_BYTES + 1 bytes (so the loader can tell it is too
 * large). Rejects with an errno-style error for a missing or unreadable file and for anything not a regular file.
 */
export async function readProfileText(file: string): Promise<string> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting; fstat below refuses it.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    // A Unix socket cannot be opened (ENXIO); name what it is.
    if ((error as NodeJS.ErrnoException).code === 'ENXIO') throw notRegular(file, kindOf(await stat(file)));
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notRegular(file, kindOf(info));
    const buffer = Buffer.alloc(MAX_PROFILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    await handle.close();
  }
}
