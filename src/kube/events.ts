// Records events.k8s.io/v1 Events about a BrokerCluster. Reasons are constants
// so that tests and people can match them.
import { V1MicroTime, type EventsV1Event } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import { API_VERSION, KIND, REPORTING_CONTROLLER } from '../api/group';
import type { BrokerCluster } from '../api/types';
import type { KubeClients } from './client';
import { pathOf } from './kinds';
import { metrics } from '../observability/metrics';
import type { Logger } from '../observability/logger';

export const Reason = {
  MasterElected: 'MasterElected',
  MasterLost: 'MasterLost',
  InvalidSpec: 'InvalidSpec',
  SpecWarning: 'SpecWarning',
  PodRestarted: 'PodRestarted',
  PodRemoved: 'PodRemoved',
  SwitchoverStarted: 'SwitchoverStarted',
  SwitchedOver: 'SwitchedOver',
  SwitchoverRefused: 'SwitchoverRefused',
  ElectionStalled: 'ElectionStalled',
  ElectionRecovered: 'ElectionRecovered',
  NodeLost: 'NodeLost',
  ReconcileFailed: 'ReconcileFailed',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  record(c: BrokerCluster, type: EventType, reason: Reason, action: string, note: string): Promise<void>;
}

/** Writes Events; a failed Event is logged, never fatal. */
export class KubeEventRecorder implements EventRecorder {
  private readonly instance = `amq-keeper-${hostname()}`;
  private seq = 0;

  constructor(
    private readonly kube: KubeClients,
    private readonly log: Logger,
  ) {}

  async record(c: BrokerCluster, type: EventType, reason: Reason, action: string, note: string): Promise<void> {
    const namespace = c.metadata.namespace ?? 'default';
    const now = new V1MicroTime();
    const event: EventsV1Event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${c.metadata.name}.${now.getTime().toString(16)}${(this.seq++ % 4096).toString(16)}`, namespace },
      eventTime: now,
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.instance,
      action,
      reason,
      type,
      // note is limited to 1kB by the API server.
      note: note.slice(0, 1024),
      regarding: { apiVersion: API_VERSION, kind: KIND, name: c.metadata.name, namespace, uid: c.metadata.uid },
    };
    metrics.writes.inc({ verb: 'event', kind: 'Event' });
    try {
      // V1MicroTime serializes with the microseconds the API server requires.
      await this.kube.rest.send('POST', pathOf('Event', namespace), { body: event });
      this.log.info('event', { namespace, cluster: c.metadata.name, type, reason, note });
    } catch (err) {
      this.log.warn('could not record event', { namespace, cluster: c.metadata.name, reason, error: String(err) });
    }
  }
}
