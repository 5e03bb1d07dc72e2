import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster } from '../../test/fixtures/clusters';
import { computeStatus } from './compute-status';

test('each slave says whether it acknowledged a checkpoint under this master, once the master was checked', () => {
  const election = {
    connected: true,
    known: true,
    master: { pod: 'xl-broker-0', index: 0 },
    members: [
      { memberId: '0000000001', pod: 'xl-broker-0', role: 'master' as const },
      { memberId: '0000000002', pod: 'xl-broker-1', role: 'slave' as const },
      { memberId: '0000000003', pod: 'xl-broker-2', role: 'slave' as const },
    ],
  };
  const base = { cluster: cluster(), zkPods: [], brokerPods: [], check: { blocking: [], warnings: [] }, election, now: new Date() };
  const checked = computeStatus({
    ...base,
    replication: { inSync: false, reason: 'CheckpointPending', message: '', covered: ['0000000002'] },
  }).status.members;
  assert.deepEqual(
    checked?.map((m) => [m.pod, m.inSync]),
    [
      ['xl-broker-0', undefined],
      ['xl-broker-1', true],
      ['xl-broker-2', false],
    ],
  );
  assert.equal(computeStatus(base).status.members?.[1]?.inSync, undefined, 'not known before a check');
});
