// Renders the VM-universe drop-in from templates/ (pure): exactly the knobs the version reads (knobs.ts).
import template from '../../templates/vm-universe.config.tmpl?raw';
import { VmpError } from '../errors/vmp-error.ts';
import { planKnobs, type KnobContext } from './knobs.ts';
import { checkSupport } from './support.ts';

export const BACKUP_DIR = '/var/lib/vm-provision/backups';

export interface RenderOptions {
  /**
   * Header notes, e.g. where a placeholder value comes from. Keyed by a knob name (shown when that knob is written)
   * or by a token such as `<kernelVersion>` (shown when a written value contains it).
   */
  notes?: Record<string, string>;
}

export interface RenderResult {
  content: string;
  knobs: Array<[string, string]>;
  /** Profile values this version does not read, placeholders written for unknown required values, … */
  warnings: string[];
}

// C0/C1 controls and Unicode line separators: HTCondor's reader would split or mangle the line.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * The drop-in for this profile, HTCondor version and OS. Throws VmpError PREFLIGHT for a hypervisor the version
 * (or OS) does not support, CONFIG for a required knob without a value, and refuses values that would inject config.
 */
export function renderConfig(ctx: KnobContext, opts: RenderOptions = {}): RenderResult {
  checkSupport(ctx.profile.hypervisor, ctx.version, ctx.os);
  const plan = planKnobs(ctx);
  if (plan.missing.length) {
    throw new VmpError('CONFIG', `HTCondor ${ctx.version.text} requires ${plan.missing.join(', ')} for ${ctx.profile.hypervisor}, but no value was found for ${plan.missing.length > 1 ? 'them' : 'it'}`, {
      hint: 'this value comes from the node: see docs/supported-versions.md for where each knob\'s value is taken from',
    });
  }
  const { knobs } = plan;
  for (const [name, value] of knobs) {
    // Profile validation already refuses these; this guards every other source of values.
    if (UNSAFE.test(value) || value.endsWith('\\')) throw new Error(`refusing to render ${name}: value has a control character or line continuation`);
  }
  const notes: string[] = [];
  for (const [name, note] of plan.placeholders) notes.push(`${name}: ${note}`);
  for (const [key, note] of Object.entries(opts.notes ?? {})) {
    if (knobs.some(([n, v]) => n === key || v.includes(key))) notes.push(`${key}: ${note}`);
  }
  for (const n of notes) if (UNSAFE.test(n) || n.endsWith('\\')) throw new Error(`refusing to render a header note with a control character or line continuation: ${JSON.stringify(n)}`);
  const width = Math.max(...knobs.map(([n]) => n.length));
  const fill: Record<string, string> = {
    profile: ctx.profile.metadata.name,
    condorVersion: ctx.version.text,
    os: ctx.os,
    hypervisor: ctx.profile.hypervisor,
    backupDir: BACKUP_DIR,
    notes: notes.map((n) => `# ${n}\n`).join(''),
    knobs: knobs.map(([n, v]) => `${n.padEnd(width)} = ${v}`).join('\n'),
  };
  const content = template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => fill[k] ?? '');
  return { content, knobs, warnings: plan.warnings };
}
