// The one-word phase shown by kubectl get.
import type { Phase } from '../api/types';

export interface PhaseInput {
  blocked: boolean;
  podsExisting: number;
  brokersReady: boolean;
  zookeeperReady: boolean;
  master?: string;
}

export function phaseOf(p: PhaseInput): Phase {
  if (p.blocked && p.podsExisting === 0) return 'Failed';
  if (p.master) return p.brokersReady && p.zookeeperReady ? 'Running' : 'Degraded';
  if (p.podsExisting === 0) return 'Pending';
  return p.brokersReady ? 'Electing' : 'Provisioning';
}
