// Runs a build or fetch script of the repository (hack/build-*.sh,
// hack/fetch-*.sh, broker/assemble.sh): each is idempotent and prints the path
// of what it built or fetched, in ~/.cache/amq-keeper, as its last line.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const REPO_DIR = path.resolve(__dirname, '..', '..');
const fetched = new Map<string, Promise<string>>();

/** The last line a fetch script (path from the repository root) prints (a cached path), run once per process. */
export function fetchedPath(script: string): Promise<string> {
  let p = fetched.get(script);
  if (p === undefined) {
    p = execFileP('bash', [path.join(REPO_DIR, script)], { maxBuffer: 16 * 1024 * 1024 })
      .then(({ stdout }) => {
        const out = stdout.trim().split('\n').pop() ?? '';
        if (out === '') throw new Error(`${script} printed no path`);
        return out;
      })
      .catch((e: unknown) => {
        fetched.delete(script);
        const err = e as { stderr?: string; message?: string };
        throw new Error(`${script} failed: ${(err.stderr ?? '').trim() || String(err.message)}`);
      });
    fetched.set(script, p);
  }
  return p;
}
