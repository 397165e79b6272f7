// The few Ansible variables the fleet uses: where to connect, as whom, with which key, with or without sudo.
import { inventoryIssue } from './errors.ts';
import type { SourceRef } from './model.ts';

export interface ConnectionVars {
  address?: string;
  port?: number;
  user?: string;
  identityFile?: string;
  become?: boolean;
}

const TRUE = new Set(['y', 'yes', 'on', '1', 'true', 't']);
const FALSE = new Set(['n', 'no', 'off', '0', 'false', 'f']);

/** Ansible's boolean(): yes/no, on/off, true/false, 1/0, y/n, t/f in any case. */
export function ansibleBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  return TRUE.has(v) ? true : FALSE.has(v) ? false : undefined;
}

export function connectionVars(host: string, vars: Record<string, unknown>, where: Record<string, SourceRef>, fallback: SourceRef): ConnectionVars {
  const bad = (key: string, message: string, hint?: string): never => {
    const w = where[key] ?? fallback;
    throw inventoryIssue(w.file, w.line, w.col, `host ${host}: ${key}: ${message}`, hint);
  };
  const str = (key: string): string | undefined => {
    const v = vars[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' && typeof v !== 'number') return bad(key, `expected a string, got ${JSON.stringify(v)}`);
    const s = String(v).trim();
    if (!s) return bad(key, 'is empty');
    return s;
  };
  const out: ConnectionVars = {};
  const address = str('ansible_host');
  if (address !== undefined) out.address = address;
  const user = str('ansible_user');
  if (user !== undefined) out.user = user;
  const key = str('ansible_ssh_private_key_file');
  if (key !== undefined) out.identityFile = key;
  const port = vars.ansible_port;
  if (port !== undefined && port !== null) {
    const n = typeof port === 'number' ? port : /^\d+$/.test(String(port).trim()) ? Number(String(port).trim()) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535) bad('ansible_port', `expected a port number 1-65535, got ${JSON.stringify(port)}`);
    out.port = n;
  }
  if (vars.ansible_become !== undefined && vars.ansible_become !== null) {
    const b = ansibleBoolean(vars.ansible_become);
    if (b === undefined) bad('ansible_become', `expected true or false, got ${JSON.stringify(vars.ansible_become)}`, 'Ansible reads yes/no, true/false, on/off, 1/0');
    out.become = b;
  }
  return out;
}
