// Polls a check until it passes or a deadline runs out; the last failure is
// what the test reports.
export async function eventually<T>(
  check: () => Promise<T> | T,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string; explain?: () => Promise<string> | string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? last.message : String(last);
      // What the harness can see of the parts involved, so a failure far away (CI) can be read.
      const seen = opts.explain
        ? `\n${await Promise.resolve()
            .then(opts.explain)
            .catch((e: unknown) => `(explain failed: ${String(e)})`)}`
        : '';
      throw new Error(`${opts.what ?? 'condition'} not met within ${opts.timeoutMs ?? 30_000} ms: ${why}${seen}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/**
 * Checks, over and over for durationMs, that something stays true; the first
 * failure is reported. For "nothing changes while..." assertions.
 */
export async function consistently(check: () => Promise<void> | void, opts: { durationMs: number; intervalMs?: number; what?: string }): Promise<void> {
  const end = Date.now() + opts.durationMs;
  do {
    try {
      await check();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`${opts.what ?? 'condition'} stopped holding: ${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  } while (Date.now() < end);
}
