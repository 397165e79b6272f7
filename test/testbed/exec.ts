// One place where the testbed spawns host commands (argv arrays, never a shell string).
import { execa, execaSync, type Options } from 'execa';

export interface RunResult { stdout: string; stderr: string; exitCode: number }

export async function run(cmd: string, args: string[], opts: Options & { allowFail?: boolean } = {}): Promise<RunResult> {
  const { allowFail, ...rest } = opts;
  const r = await execa(cmd, args, { reject: false, stripFinalNewline: true, ...rest } as Options);
  const res = { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? -1 };
  if (!allowFail && res.exitCode !== 0) {
    const tail = res.stderr.split('\n').slice(-15).join('\n');
    throw new Error(`testbed: \`${cmd} ${args.join(' ')}\` exited ${res.exitCode}\n${tail}`);
  }
  return res;
}

export function runSync(cmd: string, args: string[]): RunResult {
  const r = execaSync(cmd, args, { reject: false, stripFinalNewline: true });
  return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? -1 };
}
