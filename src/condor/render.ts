// Renders the VM-universe drop-in from templates/ (pure).
import template from '../../templates/vm-universe.config.tmpl?raw';
import { knobValues, type KnobContext } from './knobs.ts';

export const BACKUP_DIR = '/var/lib/vm-provision/backups';

export function renderConfig(ctx: KnobContext): { content: string; knobs: Array<[string, string]> } {
  const knobs = knobValues(ctx);
  for (const [name, value] of knobs) {
    // Profile validation already refuses these; this guards every other source of values.
    if (/[\u0000-\u001f\u007f]/.test(value) || value.endsWith('\\')) throw new Error(`refusing to render ${name}: value has a control character or line continuation`);
  }
  const width = Math.max(...knobs.map(([n]) => n.length));
  const fill: Record<string, string> = {
    profile: ctx.profile.metadata.name,
    condorVersion: ctx.version.text,
    os: ctx.os,
    hypervisor: ctx.profile.hypervisor,
    backupDir: BACKUP_DIR,
    knobs: knobs.map(([n, v]) => `${n.padEnd(width)} = ${v}`).join('\n'),
  };
  const content = template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => fill[k] ?? '');
  return { content, knobs };
}
