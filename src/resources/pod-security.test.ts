import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { desiredState } from './desired-state';
import { BROKER_READY_COMMAND } from './broker-pod';
import { ZK_READY_SCRIPT } from './zk-pod';
import { cluster } from '../../test/fixtures/clusters';

const pods = (): V1Pod[] => {
  const d = desiredState(cluster(), { roles: new Map() });
  return [...d.zkPods, ...d.brokerPods];
};

// What the restricted Pod Security Standard checks, pod by pod; the real-node
// test runs the same pods in a namespace that enforces it.
test('every pod meets the restricted Pod Security Standard and gets no API token', () => {
  for (const p of pods()) {
    const name = p.metadata?.name;
    const spec = p.spec!;
    assert.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${name} seccomp`);
    assert.equal(spec.securityContext?.runAsNonRoot, true, `${name} runAsNonRoot`);
    assert.notEqual(spec.securityContext?.runAsUser, 0, `${name} uid`);
    assert.equal(spec.automountServiceAccountToken, false, `${name} token`);
    assert.equal(spec.hostNetwork ?? false, false);
    for (const c of spec.containers) {
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${name}/${c.name}`);
      assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${name}/${c.name}`);
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${name}/${c.name}`);
      assert.ok(
        c.volumeMounts?.some((m) => m.mountPath === '/tmp'),
        `${name}/${c.name} has a writable /tmp`,
      );
    }
    assert.ok(
      spec.volumes?.every((v) => !v.hostPath),
      `${name} uses no hostPath`,
    );
  }
});

test('brokers are ready when they serve or are attached, and have no liveness probe; ZooKeeper is ready when it serves in a quorum and writes myid from ZOO_MYID', () => {
  for (const p of pods()) {
    const c = p.spec!.containers[0]!;
    if (p.metadata?.labels?.['amqkeeper.io/component'] === 'broker') {
      assert.deepEqual(c.readinessProbe?.exec?.command, [BROKER_READY_COMMAND]);
      assert.equal(c.livenessProbe, undefined, 'a slave waiting for its master must never be killed');
    } else {
      const i = Number(p.metadata?.name?.split('-').pop());
      assert.equal(c.env?.find((e) => e.name === 'ZOO_MYID')?.value, String(i + 1));
      assert.equal(c.command, undefined, 'the image entrypoint starts the server');
      assert.deepEqual(c.readinessProbe?.exec?.command, [ZK_READY_SCRIPT, '2181'], 'not a TCP probe: 2181 opens before the server rejoins');
    }
  }
});

test('the images put the readiness scripts where the pods run them', () => {
  const dockerfile = (name: string) => readFileSync(join(__dirname, '..', '..', 'images', name, 'Dockerfile'), 'utf8');
  assert.match(dockerfile('zookeeper'), new RegExp(`^COPY images/zookeeper/ready\\.sh ${ZK_READY_SCRIPT}$`, 'm'));
  assert.match(dockerfile('broker'), new RegExp(`^COPY images/broker/ready\\.sh ${BROKER_READY_COMMAND}$`, 'm'));
});
