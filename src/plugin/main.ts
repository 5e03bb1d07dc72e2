// kubectl amq: the entry point that bin/kubectl-amq runs. Problems are
// printed as kubectl prints them ("error: ..."), and the exit code is 1.
import { parseArgs, UsageError } from './args';
import { runCommand } from './commands';
import { PluginError } from './kubectl';

// Output piped into head and the like: the reader left, so stop quietly as kubectl does.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

async function main(): Promise<number> {
  const io = { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t) };
  try {
    return await runCommand(parseArgs(process.argv.slice(2)), io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}\nSee: kubectl amq help\n`);
      return 1;
    }
    if (err instanceof PluginError) {
      io.err(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
