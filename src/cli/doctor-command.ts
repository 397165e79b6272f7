// `vm-provision doctor [--json]`: why does this node not run VM jobs? Read-only: no lock, no root needed, nothing written.
import type { Command } from 'commander';
import { LocalHost } from '../host/local-host.ts';
import { diagnose, diagnosisExitCode, diagnosisJson, formatDiagnosis } from '../doctor/index.ts';

export function registerDoctorCommand(program: Command): void {
  program.command('doctor').description('why does this node not run VM jobs? (read-only; exit 0 healthy, 1 a problem found)')
    .option('--json', 'one JSON object with findings[]')
    .action(async (flags: { json?: boolean }) => {
      const d = await diagnose(new LocalHost());
      process.stdout.write(`${flags.json ? diagnosisJson(d) : formatDiagnosis(d)}\n`);
      process.exitCode = diagnosisExitCode(d);
    });
}
