// Kubernetes quantities as numbers, for comparing storage sizes. A live claim
// may carry any form the API server accepts ("10Gi", "10737418240", "1e3",
// "1536Mi"), not only the ones the BrokerCluster schema allows.

const SUFFIXES: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a quantity (bytes for storage); undefined when it is not one. */
export function quantityValue(q: string | undefined): number | undefined {
  const m = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?)$/.exec(q ?? '');
  if (!m) return undefined;
  const exponent = m[2] ? 10 ** Number(m[2].slice(1)) : 1;
  return Number(m[1]) * exponent * (SUFFIXES[m[3] ?? ''] ?? 1);
}

/** Whether quantity a is larger than b; false when either is not a quantity. */
export function isLarger(a: string | undefined, b: string | undefined): boolean {
  const x = quantityValue(a);
  const y = quantityValue(b);
  return x !== undefined && y !== undefined && x > y;
}
