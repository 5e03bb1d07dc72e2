import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions } from './options';

test('leader election is off unless asked for', () => {
  assert.equal(parseOptions([], {}).leaderElection, undefined);
});

test('leader election defaults: controller-runtime timings, namespace and identity from the pod', () => {
  const o = parseOptions(['--leader-elect'], { POD_NAMESPACE: 'ops', POD_NAME: 'amq-keeper-7f9c-x2' });
  assert.deepEqual(o.leaderElection, {
    name: 'amq-keeper',
    namespace: 'ops',
    identity: 'amq-keeper-7f9c-x2',
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
  });
});

test('outside a pod the identity is unique per process', () => {
  const a = parseOptions(['--leader-elect', '--leader-elect-resource-namespace', 'ops'], {}).leaderElection?.identity;
  const b = parseOptions(['--leader-elect', '--leader-elect-resource-namespace', 'ops'], {}).leaderElection?.identity;
  assert.ok(a && b && a !== b);
});

test('bad leader election settings name the flag and the fix', () => {
  const refused = (args: string[], env: NodeJS.ProcessEnv, message: RegExp) => assert.throws(() => parseOptions(['--leader-elect', ...args], env), message);
  refused([], {}, /--leader-elect needs the Lease namespace: pass --leader-elect-resource-namespace or set POD_NAMESPACE/);
  const env = { POD_NAMESPACE: 'ops' };
  refused(['--leader-elect-lease-duration', 'soon'], env, /--leader-elect-lease-duration must be a positive duration such as 500ms or 15s, not "soon"/);
  refused(['--leader-elect-lease-duration', '1500ms'], env, /must be whole seconds/);
  refused(['--leader-elect-lease-duration', '10s'], env, /--leader-elect-renew-deadline \(10s\) must be shorter than --leader-elect-lease-duration \(10s\)/);
  refused(['--leader-elect-retry-period', '9s'], env, /--leader-elect-retry-period \(9s\) must be well under --leader-elect-renew-deadline/);
  refused(['--leader-elect-resource-name', 'Amq_Keeper'], env, /--leader-elect-resource-name must be a lowercase DNS name/);
});

test("the console login goes to a master pod's own name only, unless hosts are trusted by flag", () => {
  assert.deepEqual(parseOptions([], {}).consoleTrustedHosts, []);
  assert.deepEqual(parseOptions(['--console-trusted-hosts', '127.0.0.1, ::1'], {}).consoleTrustedHosts, ['127.0.0.1', '::1']);
});

test("the operator's pods for the NetworkPolicies: the pod's namespace and the chart's labels, or the flags", () => {
  const chart = { 'app.kubernetes.io/part-of': 'amq-keeper', 'app.kubernetes.io/component': 'operator' };
  assert.equal(parseOptions([], {}, () => undefined).operator, undefined, 'not in a pod: unknown');
  assert.deepEqual(parseOptions([], {}, () => 'ops').operator, { namespace: 'ops', podLabels: chart });
  assert.deepEqual(parseOptions([], { POD_NAMESPACE: 'env' }, () => 'ops').operator?.namespace, 'env');
  assert.deepEqual(
    parseOptions(['--operator-namespace', 'flag', '--operator-pod-labels', 'app=op, tier=control'], { POD_NAMESPACE: 'env' }, () => 'ops').operator,
    {
      namespace: 'flag',
      podLabels: { app: 'op', tier: 'control' },
    },
  );
  assert.throws(() => parseOptions(['--operator-namespace', 'Ops'], {}), /--operator-namespace must be a namespace name, not "Ops"/);
  assert.throws(() => parseOptions(['--operator-pod-labels', 'app'], {}, () => 'ops'), /--operator-pod-labels takes key=value pairs .*; "app" is not one/);
  assert.throws(() => parseOptions(['--operator-pod-labels', ''], {}, () => 'ops'), /needs at least one key=value pair/);
});
