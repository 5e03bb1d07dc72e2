// Scrapes a metrics endpoint on 127.0.0.1 and reads the Prometheus text
// format (what the JMX exporter agent serves to a plain GET): enough of it to
// look up one sample by name and labels.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const SPECIAL: Record<string, number> = { '+Inf': Number.POSITIVE_INFINITY, '-Inf': Number.NEGATIVE_INFINITY, NaN: Number.NaN };

function unescapeLabel(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Every sample of a text-format page; HELP, TYPE and blank lines are skipped. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(LABEL)) labels[k as string] = unescapeLabel(v ?? '');
    const raw = m[3] ?? '';
    samples.push({ name: m[1] ?? '', labels, value: SPECIAL[raw] ?? Number(raw) });
  }
  return samples;
}

/** GET http://127.0.0.1:<port>/metrics, parsed; throws when nothing answers. */
export async function scrape(port: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`127.0.0.1:${port}/metrics answered ${res.status}`);
  return parsePrometheusText(await res.text());
}

/** The value of the one sample of that name whose labels include these; undefined when there is none. */
export function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** The lines of a page for these metric names, as a person would read them in a log. */
export function linesOf(samples: readonly Sample[], names: readonly string[]): string[] {
  return samples
    .filter((s) => names.includes(s.name))
    .map(
      (s) =>
        `${s.name}{${Object.entries(s.labels)
          .map(([k, v]) => `${k}="${v}"`)
          .join(',')}} ${s.value}`,
    );
}
