// The CustomResourceDefinition, built from the schema. crds/brokercluster.yaml
// is this object written out by `npm run gen:crd`; a test keeps them equal.
import type { V1CustomResourceDefinition, V1JSONSchemaProps } from '@kubernetes/client-node';
import { CRD_NAME, GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from './group';
import { brokerClusterSpecSchema, brokerClusterStatusSchema } from './schema';

/**
 * The longest names made from a cluster's name are DNS labels of at most 63
 * characters that start with a letter: the Service <name>-broker-hs and the
 * pod hostname <name>-broker-<i>.
 */
export const MAX_NAME_LENGTH = 63 - '-broker-hs'.length;
const NAME_RULES = [
  {
    rule: `size(self.metadata.name) <= ${MAX_NAME_LENGTH}`,
    message: `metadata.name: at most ${MAX_NAME_LENGTH} characters, because the Service <name>-broker-hs must be a DNS label of at most 63; choose a shorter name`,
  },
  {
    rule: "self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
    message:
      'metadata.name: lowercase letters, digits and "-" only, starting with a letter (no dots), because it names Services and pod hostnames; choose a name like "orders-mq"',
  },
];

const SIZE = 'self.spec.persistence.size';
const OLD_SIZE = 'oldSelf.spec.persistence.size';
const CLAIMS_KNOWN = 'has(oldSelf.status) && has(oldSelf.status.claimSize)';
/** The least the size may be set to: the old one, or the claims' size where that is smaller (a growth they could not follow). */
const SIZE_FLOOR = `(${CLAIMS_KNOWN} && quantity(oldSelf.status.claimSize).isLessThan(quantity(${OLD_SIZE})) ? oldSelf.status.claimSize : ${OLD_SIZE})`;

/**
 * At the root, to see the status: volume claims cannot shrink, so the size may
 * only grow, or go back to the claims' size after a growth they could not
 * follow. The status is the stored one on a spec update, and a status update
 * leaves the size as it is.
 */
const SIZE_RULE = {
  rule:
    `${SIZE} == ${OLD_SIZE} || !quantity(${SIZE}).isLessThan(quantity(${OLD_SIZE})) || ` +
    `(${CLAIMS_KNOWN} && !quantity(${SIZE}).isLessThan(quantity(oldSelf.status.claimSize)))`,
  fieldPath: '.spec.persistence.size',
  messageExpression:
    `'spec.persistence.size cannot shrink below ' + ${SIZE_FLOOR} + ' (volume claims only grow): set it to ' + ` +
    `${SIZE_FLOOR} + ' or more, or create a new BrokerCluster for smaller claims'`,
};

export function buildCrd(): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: CRD_NAME, labels: { 'app.kubernetes.io/part-of': 'amq-keeper' } },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: KIND, plural: PLURAL, singular: SINGULAR, shortNames: SHORT_NAMES, categories: ['all', 'activemq'] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', description: 'Broker nodes wanted' },
            { name: 'Ready', type: 'string', jsonPath: '.status.ready', description: 'Ready broker pods / wanted' },
            { name: 'Master', type: 'string', jsonPath: '.status.master', description: 'Pod of the elected master' },
            { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Overall state' },
            { name: 'Failovers', type: 'integer', jsonPath: '.status.failovers', description: 'Changes of master' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            // JSON names, as the YAML has them ('x-kubernetes-validations'), not the client's camelCase.
            openAPIV3Schema: {
              type: 'object',
              description:
                'BrokerCluster runs an ActiveMQ Classic master/slave cluster on ZooKeeper and the replicated LevelDB store ' +
                '(deprecated upstream and removed in ActiveMQ 5.17; 5.16.x is the last release that has it).',
              required: ['spec'],
              'x-kubernetes-validations': [...NAME_RULES, SIZE_RULE],
              properties: {
                apiVersion: { type: 'string', description: 'amqkeeper.io/v1alpha1' },
                kind: { type: 'string', description: 'BrokerCluster' },
                metadata: { type: 'object' },
                spec: structuredClone(brokerClusterSpecSchema) as object,
                status: structuredClone(brokerClusterStatusSchema) as object,
              },
            } as V1JSONSchemaProps,
          },
        },
      ],
    },
  };
}
