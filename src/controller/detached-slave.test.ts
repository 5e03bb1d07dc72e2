import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { cluster } from '../../test/fixtures/clusters';
import type { BrokerCluster } from '../api/types';
import { detachedSlave } from './detached-slave';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

function pod(name: string, readyFor: number | undefined, unreadyFor = 0, runningFor = 600_000): V1Pod {
  const ready = readyFor !== undefined;
  return {
    metadata: { name },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: ago(ready ? readyFor : unreadyFor) }],
      containerStatuses: [{ name: 'broker', image: 'x', imageID: '', ready, restartCount: 1, state: { running: { startedAt: ago(runningFor) } } }],
    },
  };
}

const serving = (since: number): BrokerCluster => ({ ...cluster(), status: { master: 'xl-broker-2', masterSince: ago(since).toISOString() } });

test('a broker running unready under a master that has served for a minute is restarted; the default limit is 4 stall timeouts (60 s)', () => {
  const pods = [pod('xl-broker-0', undefined, 70_000), pod('xl-broker-1', 5000), pod('xl-broker-2', 60_000)];
  assert.deepEqual(detachedSlave({ cluster: serving(120_000), master: 'xl-broker-2', pods, now: NOW }), {
    pod: 'xl-broker-0',
    reason: 'not attached to master xl-broker-2 for 70 s',
  });
});

test('not yet: unready for less than the limit, just started, a master elected moments ago, or no master serving', () => {
  const brief = [pod('xl-broker-0', undefined, 30_000), pod('xl-broker-2', 60_000)];
  assert.equal(detachedSlave({ cluster: serving(120_000), master: 'xl-broker-2', pods: brief, now: NOW }), undefined);
  const restarted = [pod('xl-broker-0', undefined, 300_000, 20_000), pod('xl-broker-2', 60_000)];
  assert.equal(detachedSlave({ cluster: serving(120_000), master: 'xl-broker-2', pods: restarted, now: NOW }), undefined, 'a container started 20 s ago');
  const stuck = [pod('xl-broker-0', undefined, 300_000), pod('xl-broker-2', 60_000)];
  assert.equal(detachedSlave({ cluster: serving(30_000), master: 'xl-broker-2', pods: stuck, now: NOW }), undefined, 'the master is new');
  assert.equal(detachedSlave({ cluster: serving(120_000), pods: stuck, now: NOW }), undefined, 'no master serves');
});
