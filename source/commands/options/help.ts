/** One help line per option, kept beside its definition so a command's --help lists what it accepts. */

/** `lines` indented as an options block of a usage text. */
export function helpBlock(lines: readonly string[]): string {
  return lines.map((line) => `    ${line}`).join('\n');
}
