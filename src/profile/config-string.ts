// Strings from the profile end up in HTCondor configuration files, so anything that
// would change how condor_config parses the line is refused.

function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The first reason `value` is unsafe to write into HTCondor configuration, or undefined. */
export function configStringProblem(value: string): string | undefined {
  if (value.includes('\n')) {
    return "contains a newline: this would inject a new line into HTCondor's configuration";
  }
  if (value.includes('\r')) {
    return "contains a carriage return: this would inject a new line into HTCondor's configuration";
  }
  const control = /[\u0000-\u001f\u007f]/.exec(value);
  if (control) {
    return `contains the control character ${codePoint(control[0])}: HTCondor's configuration cannot hold it safely`;
  }
  if (value.endsWith('\\')) {
    return 'ends with a backslash: HTCondor would read it as a line continuation and swallow the next line';
  }
  if (value.includes('$(')) {
    return 'contains "$(": HTCondor would expand it as a configuration macro';
  }
  if (value !== value.trim()) {
    return 'has leading or trailing whitespace: HTCondor trims it, so the value written would differ';
  }
  return undefined;
}
