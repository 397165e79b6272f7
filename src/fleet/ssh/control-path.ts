// ControlPath: a private short directory + %C (a 40-hex hash); checked against sun_path before connecting.
import { join } from 'node:path';
import { FleetError } from '../errors.ts';
import { FLEET_EXIT } from '../exit-codes.ts';

/** sizeof(sun_path): 108 on Linux, 104 on macOS and the BSDs. */
export function sunPathSize(platform: NodeJS.Platform = process.platform): number {
  return platform === 'linux' ? 108 : 104;
}

/** ssh binds "<ControlPath>.<16 random chars>" first, then links it into place; %C expands to 40 characters. */
export const CONTROL_SUFFIX = 1 + 16;
export const PERCENT_C_LENGTH = 40;

export function maxControlDirLength(platform: NodeJS.Platform = process.platform): number {
  // dir + "/" + %C + ".xxxxxxxxxxxxxxxx" + NUL must fit in sun_path.
  return sunPathSize(platform) - 1 - PERCENT_C_LENGTH - CONTROL_SUFFIX - 1;
}

/** $XDG_RUNTIME_DIR/vmp (private tmpfs), else /tmp/vmp-<uid>. */
export function defaultControlDir(env: NodeJS.ProcessEnv = process.env, uid: number = process.getuid?.() ?? 0): string {
  return env.XDG_RUNTIME_DIR && env.XDG_RUNTIME_DIR.startsWith('/') ? join(env.XDG_RUNTIME_DIR, 'vmp') : `/tmp/vmp-${uid}`;
}

export function controlPath(dir: string): string {
  return `${dir}/%C`;
}

/** Throws exit 78 when the directory is too long: ssh would exit 255, which reads as "unreachable". */
export function checkControlDir(dir: string, platform: NodeJS.Platform = process.platform): void {
  const max = maxControlDirLength(platform);
  const length = Buffer.byteLength(dir);
  if (length > max) {
    throw new FleetError(FLEET_EXIT.CONFIG, 'USAGE', `the SSH control directory ${dir} is ${length} bytes long; at most ${max} fit a Unix socket path here (${sunPathSize(platform)} bytes with ssh's %C name and temporary suffix)`, {
      hint: 'set XDG_RUNTIME_DIR to a short private directory (e.g. /run/user/$UID), or run from an account with a shorter one',
    });
  }
}
