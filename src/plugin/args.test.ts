import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, parseDuration, parsePort, UsageError } from './args';

test("kubectl's own flags in every spelling kubectl takes, wherever they stand after the plugin's name", () => {
  const p = parseArgs(['--kubeconfig', '/tmp/kc', 'status', '-nmq', 'xl', '--context=ctx', '-ojson']);
  assert.equal(p.command, 'status');
  assert.deepEqual(p.args, ['xl']);
  assert.deepEqual(p.kube, { kubeconfig: '/tmp/kc', context: 'ctx', namespace: 'mq' });
  assert.equal(p.flags.get('output'), 'json');
  assert.deepEqual(parseArgs(['url', 'xl', '--namespace', 'a', '-n=b']).kube, { namespace: 'b' });
  assert.equal(parseArgs(['switchover', 'xl', '--wait', '--timeout', '90s']).flags.get('wait'), true);
  assert.equal(parseArgs(['-h']).help, true);
  assert.equal(parseArgs([]).command, undefined);
});

test('unknown flags, missing values and values on switches are refused by name', () => {
  assert.throws(() => parseArgs(['status', 'xl', '--bogus']), new UsageError('unknown flag --bogus'));
  assert.throws(() => parseArgs(['status', 'xl', '-n']), new UsageError('-n needs a value'));
  assert.throws(() => parseArgs(['switchover', 'xl', '--wait=yes']), new UsageError('--wait takes no value'));
});

test('durations as kubectl writes them, and local ports', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30'), 30_000);
  assert.throws(() => parseDuration('soon'), /write a duration/);
  assert.equal(parsePort('0'), 0);
  assert.equal(parsePort('18161'), 18161);
  assert.throws(() => parsePort('70000'), /0 to 65535/);
});
