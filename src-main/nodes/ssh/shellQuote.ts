/**
 * Quotes one value for a POSIX shell (sh, bash, dash, zsh): the remote command line is built only
 * from constants and quoted values, so nothing a user types can be run as shell code.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new TypeError('a shell argument cannot contain a NUL character')
  // Plain words stay readable in logs; everything else goes in single quotes, where only the
  // single quote itself is special: end the quote, add an escaped quote, reopen.
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value
  return `'${value.replace(/'/g, `'\\''`)}'`
}

/** A command line of quoted words. */
export function shellCommand(words: string[]): string {
  return words.map(shellQuote).join(' ')
}
