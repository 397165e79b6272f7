import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../../fixtures/initrd/', import.meta.url));
export const fixture = (name: string) => readFileSync(`${dir}${name}`, 'utf8');

/** The Debian 13 kernel on the testbed's full node, where the fixtures were captured. */
export const DEB_KVER = '6.12.117+deb13-amd64';
