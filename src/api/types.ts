// Types of the BrokerCluster resource, inferred from the schema in schema.ts
// so that the TypeScript view and the CRD are one and the same.
import type { FromSchema } from 'json-schema-to-ts';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { brokerClusterSpecSchema, brokerClusterStatusSchema } from './schema';

/** The spec as the API server returns it: every schema default applied. */
export type BrokerClusterSpec = FromSchema<typeof brokerClusterSpecSchema>;
/** The spec as a user may write it. */
export type BrokerClusterSpecInput = FromSchema<typeof brokerClusterSpecSchema, { keepDefaultedPropertiesOptional: true }>;
export type BrokerClusterStatus = FromSchema<typeof brokerClusterStatusSchema, { keepDefaultedPropertiesOptional: true }>;
export type Condition = NonNullable<BrokerClusterStatus['conditions']>[number];
export type Member = NonNullable<BrokerClusterStatus['members']>[number];
export type Phase = NonNullable<BrokerClusterStatus['phase']>;
export type RedeliveryPolicy = NonNullable<NonNullable<BrokerClusterSpec['broker']['redelivery']>['defaultPolicy']>;
export type DeadLetter = NonNullable<BrokerClusterSpec['broker']['deadLetter']>;

export interface BrokerCluster<S = BrokerClusterSpec> {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  spec: S;
  status?: BrokerClusterStatus;
}
