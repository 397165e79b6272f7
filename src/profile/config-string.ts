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
  const separator = /[\u2028\u2029]/.exec(value);
  if (separator) {
    return `contains the line or paragraph separator ${codePoint(separator[0])}: tools that read HTCondor's configuration may break the line there`;
  }
  // C1 controls (U+0080-U+009F, NEL among them) too: some readers treat them as line ends.
  const control = /[\u0000-\u001f\u007f-\u009f]/.exec(value);
  if (control) {
    return `contains the control character ${codePoint(control[0])}: HTCondor's configuration cannot hold it safely`;
  }
  if (value.endsWith('\\')) {
    return 'ends with a backslash: HTCondor would read it as a line continuation and swallow the next line';
  }
  // $(X), $$(X) and the function macros $ENV(, $EVAL(, $RANDOM_INTEGER(, $CHOICE(, ...
  const macro = /\$\$?(?:[A-Za-z_][A-Za-z0-9_]*)?\(/.exec(value);
  if (macro) {
    return `contains "${macro[0]}": HTCondor would expand it as a configuration macro`;
  }
  if (value !== value.trim()) {
    return 'has leading or trailing whitespace: HTCondor trims it, so the value written would differ';
  }
  return undefined;
}
