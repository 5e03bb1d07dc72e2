// The last lines of a log file, indented, for what a test prints when
// something far away (a broker, the operator) went wrong.
import { existsSync, readFileSync } from 'node:fs';

export function logTail(file: string, lines: number): string {
  const text = existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines) : ['(no log)'];
  return text.map((l) => `  | ${l}`).join('\n');
}
