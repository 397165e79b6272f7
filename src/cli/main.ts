// vm-provision's command line: a thin shell over the library (apply, readProfile, gatherFacts).
import { Command, CommanderError } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { apply, ProfileInvalid, readProfile, toVmpError } from '../engine/apply.ts';
import { LocalHost } from '../host/local-host.ts';
import { gatherFacts } from '../facts/gather.ts';
import { profileJsonSchema } from '../profile/index.ts';
import { EXIT } from '../errors/exit-codes.ts';
import { exitCodeForError, exitCodeForReport } from './exit.ts';
import { plainRenderer, summaryLine } from './render-plain.ts';
import { jsonError, jsonRenderer, jsonSummary } from './render-json.ts';
import { runWithListr } from './render-listr.ts';
import { formatFacts } from './format-facts.ts';
import { registerRenderCommand } from './render-command.ts';
import { registerFleetCommand } from './fleet-command.ts';
import { registerDoctorCommand } from './doctor-command.ts';

interface ApplyFlags { check?: boolean; diff?: boolean; json?: boolean; detailedExitcodes?: boolean; progress?: boolean }

const out = (l: string) => process.stdout.write(`${l}\n`);
const err = (l: string) => process.stderr.write(`${l}\n`);
let jsonMode = false;

async function runApply(file: string, flags: ApplyFlags): Promise<number> {
  jsonMode = !!flags.json;
  const host = new LocalHost();
  const check = !!flags.check;
  const useListr = !flags.json && flags.progress !== false && process.stdout.isTTY === true;
  const report = flags.json
    ? await apply({ host, profileFile: file, check, onEvent: jsonRenderer(out) })
    : useListr
      ? await runWithListr((onEvent) => apply({ host, profileFile: file, check, onEvent }))
      : await apply({ host, profileFile: file, check, onEvent: plainRenderer(out, !!flags.diff) });
  const code = exitCodeForReport(report, !!flags.detailedExitcodes);
  if (flags.json) { out(jsonSummary(report, code)); return code; }
  if (useListr && flags.diff) for (const s of report.steps) if (s.diff) out(s.diff.trimEnd());
  if (report.error) err(report.error.describe());
  out(summaryLine(report));
  return code;
}

function buildProgram(): Command {
  const program = new Command('vm-provision')
    .description('Turn an HTCondor execute node into a VM-universe node from a declarative host profile.')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  const applyFlags = (c: Command) => c
    .option('--json', 'one JSON object per line (step events, then a summary)')
    .option('--detailed-exitcodes', '0 no change, 2 changed, 4 failed, 6 changed and failed')
    .option('--no-progress', 'plain lines even on a terminal');

  applyFlags(program.command('apply').argument('<profile>', 'host profile (YAML)')
    .description('converge this node to the profile')
    .option('--check', 'change nothing; say what would change')
    .option('--diff', 'show file diffs'))
    .action(async (file: string, flags: ApplyFlags) => { process.exitCode = await runApply(file, flags); });

  applyFlags(program.command('plan').argument('<profile>', 'host profile (YAML)').description('= apply --check --diff'))
    .action(async (file: string, flags: ApplyFlags) => { process.exitCode = await runApply(file, { ...flags, check: true, diff: true }); });

  program.command('validate').argument('<profile>', 'host profile (YAML)').description('check a profile without touching the node')
    .option('--json', 'machine-readable result')
    .action(async (file: string, flags: { json?: boolean }) => {
      jsonMode = !!flags.json;
      const { profile } = await readProfile(file);
      if (flags.json) out(JSON.stringify({ type: 'valid', file, profile }));
      else out(`${file}: valid HostProfile "${profile.metadata.name}" (hypervisor ${profile.hypervisor})`);
    });

  program.command('facts').description('what vm-provision sees on this node').option('--json', 'JSON')
    .action(async (flags: { json?: boolean }) => {
      const facts = await gatherFacts(new LocalHost());
      const si = await import('systeminformation');
      const [cpu, mem] = await Promise.all([si.cpu(), si.mem()]);
      const hardware = { cpu: { manufacturer: cpu.manufacturer, brand: cpu.brand, cores: cpu.cores, physicalCores: cpu.physicalCores, virtualization: cpu.virtualization }, memory: { totalMiB: Math.round(mem.total / 1048576) } };
      if (flags.json) out(JSON.stringify({ ...facts, hardware }, null, 2));
      else out(formatFacts(facts, hardware));
    });

  program.command('schema').description('print the JSON Schema of host profiles')
    .action(() => { out(JSON.stringify(profileJsonSchema(), null, 2)); });
  registerRenderCommand(program);
  registerFleetCommand(program);
  registerDoctorCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      return EXIT.USAGE;
    }
    const ve = toVmpError(e);
    const code = exitCodeForError(ve);
    if (jsonMode) out(jsonError(ve, code, e instanceof ProfileInvalid ? e.issues : undefined));
    else err(e instanceof ProfileInvalid ? ve.message : `vm-provision: ${ve.describe()}`);
    if (ve.code === 'INTERNAL' && ve.cause instanceof Error && process.env.VMP_DEBUG) err(ve.cause.stack ?? '');
    return code;
  }
}

// A reader that stops early (`vm-provision fleet hosts F | head -1`) closes the pipe: stop quietly, as cat does.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(Number(process.exitCode ?? 0)); throw e; });
}

main(process.argv).then((code) => { process.exitCode = code; }, (e: unknown) => {
  err(`vm-provision: internal error: ${e instanceof Error ? e.stack : String(e)}`);
  process.exitCode = EXIT.FAILED;
});

