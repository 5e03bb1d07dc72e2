// Applies the schema's defaults the way the API server's structural defaulting
// does, so builders and unit tests see the same spec the server would store.
import { brokerClusterSpecSchema } from './schema';
import type { BrokerClusterSpec, BrokerClusterSpecInput } from './types';

interface SchemaNode {
  type?: string;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function applyNode(node: SchemaNode, value: unknown): unknown {
  if (Array.isArray(value) && node.items) return value.map((v) => applyNode(node.items as SchemaNode, v));
  if (!isPlainObject(value) || !node.properties) return value;
  const out: Record<string, unknown> = { ...value };
  for (const [key, child] of Object.entries(node.properties)) {
    if (out[key] === undefined && child.default !== undefined) out[key] = structuredClone(child.default);
    if (out[key] !== undefined) out[key] = applyNode(child, out[key]);
  }
  return out;
}

/** Returns a copy of the spec with every schema default filled in. */
export function withDefaults(spec: BrokerClusterSpecInput): BrokerClusterSpec {
  return applyNode(brokerClusterSpecSchema as unknown as SchemaNode, spec) as BrokerClusterSpec;
}
