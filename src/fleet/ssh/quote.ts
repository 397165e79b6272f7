// POSIX shell quoting: ssh joins its command words with spaces and the remote shell parses them again.

const SAFE = /^[A-Za-z0-9_\-+=.,/:@%]+$/;

export function shellQuote(word: string): string {
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
