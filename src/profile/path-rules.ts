export interface RuleProblem {
  message: string;
  hint?: string;
}

/** Rules for a file path on the node; `example` is an absolute path suggested in the hint. */
export function absolutePathProblem(value: string, example: string): RuleProblem | undefined {
  if (!value.startsWith('/')) {
    return {
      message: `must be an absolute path (got ${JSON.stringify(value)})`,
      hint: `paths are on the node; write an absolute path like ${example}`,
    };
  }
  if (value.split('/').includes('..')) {
    return { message: `must not contain a ".." segment (got ${JSON.stringify(value)}); write the path without it` };
  }
  return undefined;
}

// Not starting with "-" or ".": the value reaches argv, where it would read as an option.
const BARE_COMMAND = /^[A-Za-z0-9_][A-Za-z0-9_+.-]*$/;

/** vmware.perl: the Perl interpreter, as a command name looked up in PATH or an absolute path. */
export function perlInterpreterProblem(value: string): RuleProblem | undefined {
  // The HTCondor 7.2 manual set VMWARE_PERL to the control script by mistake; people copy it.
  if (/\.pl$/i.test(value) || value.includes('condor_vm_vmware')) {
    return {
      message:
        'vmware.perl names the interpreter (e.g. perl or /usr/bin/perl), not the control script; put the script in vmware.script',
    };
  }
  if (!value.includes('/')) {
    return BARE_COMMAND.test(value)
      ? undefined
      : { message: `must be a command name like perl or an absolute path (got ${JSON.stringify(value)})` };
  }
  return absolutePathProblem(value, '/usr/bin/perl');
}
