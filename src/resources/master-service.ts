// <name>-master: selects only the pod ZooKeeper reports as elected, and no
// pod while none is. Selector and target ports change in one write, so it can
// never select two pods or the wrong node's ports.
import type { V1Service } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { clusterName, MASTER_CONSOLE_PORT, MASTER_OPENWIRE_PORT, nodePorts } from '../api/cluster';
import { names } from '../metadata/names';
import { componentLabels, componentSelector, LABEL_NODE } from '../metadata/labels';
import { ownedMeta } from './object-meta';

/** Value of the node label no pod carries: the Service selects nothing. */
export const NO_MASTER = 'none';

/** masterIndex: node index of the elected master, or undefined while none is elected. */
export function buildMasterService(c: BrokerCluster, masterIndex: number | undefined): V1Service {
  const n = clusterName(c);
  const ports = nodePorts(c, masterIndex ?? 0);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(c, names.masterService(n), componentLabels(n, 'broker')),
    spec: {
      selector: { ...componentSelector(n, 'broker'), [LABEL_NODE]: masterIndex === undefined ? NO_MASTER : String(masterIndex) },
      // The master is known from ZooKeeper, not from a readiness probe.
      publishNotReadyAddresses: true,
      ports: [
        { name: 'openwire', port: MASTER_OPENWIRE_PORT, targetPort: ports.openwire },
        { name: 'console', port: MASTER_CONSOLE_PORT, targetPort: ports.console },
      ],
    },
  };
}
