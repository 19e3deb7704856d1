/**
 * A server command line as a user types it (`--server-cmd "nginx -c /etc/x.conf -g 'daemon off;'"`), split into
 * an argument array the way a POSIX shell splits words — and then never given to a shell: no expansion, no
 * globbing, no pipes. Pure.
 */

/** Characters a shell would treat as operators when unquoted: here they would silently become arguments. */
const SHELL_OPERATORS = new Set(['|', '&', ';', '<', '>', '(', ')', '`', '$']);

/** What a backslash escapes inside "…" (anything else keeps its backslash, as in sh). */
const ESCAPABLE_IN_DOUBLE_QUOTES = new Set(['"', '\\', '$', '`']);

export class CommandLineError extends Error {}

/**
 * Splits like sh: blanks separate words; '…' keeps everything literally; "…" keeps everything but lets a
 * backslash escape " \ $ and `; a backslash outside quotes escapes the next character. Unquoted shell operators
 * and unbalanced quotes are errors, since nothing here would run them as a shell does.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new CommandLineError(`unbalanced ' in: ${line}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      const [text, next] = doubleQuoted(line, i + 1);
      word += text;
      inWord = true;
      i = next;
    } else if (ch === '\\') {
      if (i + 1 >= line.length) throw new CommandLineError(`a trailing \\ escapes nothing in: ${line}`);
      word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (SHELL_OPERATORS.has(ch)) {
      throw new CommandLineError(
        `"${ch}" is a shell operator, and the server command is not run through a shell: quote it if it is an argument, or put the pipeline in a script and give its path`,
      );
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw new CommandLineError('the server command is empty');
  return words;
}

/** The text of a "…" word from `start` (after the opening quote) and the index after its closing quote. */
function doubleQuoted(line: string, start: number): [string, number] {
  let text = '';
  let i = start;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === '"') return [text, i + 1];
    if (ch === '\\' && i + 1 < line.length && ESCAPABLE_IN_DOUBLE_QUOTES.has(line[i + 1]!)) {
      text += line[i + 1];
      i += 2;
    } else if (ch === '$' || ch === '`') {
      throw new CommandLineError(
        `"${ch}" inside "…" would expand in a shell, and nothing expands here: use '…' or escape it`,
      );
    } else {
      text += ch;
      i++;
    }
  }
  throw new CommandLineError(`unbalanced " in: ${line}`);
}

/** {host} and {port} in each argument replaced by where the server must listen. */
export function substitutePlaceholders(argv: readonly string[], at: { host: string; port: number }): string[] {
  return argv.map((a) => a.replaceAll('{host}', at.host).replaceAll('{port}', String(at.port)));
}
