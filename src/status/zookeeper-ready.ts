// ZooKeeperReady: a managed ensemble has a quorum of ready pods; an external
// one is judged by the operator's own session to it.
import { quorum } from '../api/cluster';
import type { ConditionValue } from './conditions';

export interface ZkView {
  managed: boolean;
  replicas: number;
  readyPods: number;
  /** undefined while the operator has not tried to connect. */
  connected?: boolean;
  connectString: string;
}

export function zookeeperReady(z: ZkView): ConditionValue {
  if (z.connected === false) {
    return { status: 'False', reason: 'Unreachable', message: `no ZooKeeper session to ${z.connectString}; the operator changes nothing until it is back` };
  }
  if (z.managed) {
    const need = quorum(z.replicas);
    const msg = `${z.readyPods}/${z.replicas} ZooKeeper pods ready (quorum ${need})`;
    return z.readyPods >= need ? { status: 'True', reason: 'QuorumReady', message: msg } : { status: 'False', reason: 'NoQuorum', message: msg };
  }
  if (z.connected === true) return { status: 'True', reason: 'Connected', message: `connected to ${z.connectString}` };
  return { status: 'Unknown', reason: 'NotConnected', message: `not yet connected to ${z.connectString}` };
}
