import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildCrd } from './crd';
import { CRD_FILE, renderCrdYaml } from '../../hack/gen-crd';

test('crds/brokercluster.yaml is generated from the schema (run npm run gen:crd)', () => {
  assert.equal(readFileSync(CRD_FILE, 'utf8'), renderCrdYaml());
});

test('every schema field has a description, for kubectl explain', () => {
  const missing: string[] = [];
  const walk = (node: Record<string, unknown>, path: string) => {
    if (path !== '.metadata' && path !== '' && typeof node.description !== 'string') missing.push(path);
    const props = node.properties as Record<string, Record<string, unknown>> | undefined;
    for (const [k, v] of Object.entries(props ?? {})) walk(v, `${path}.${k}`);
    const items = node.items as Record<string, unknown> | undefined;
    if (items?.properties) walk(items, `${path}[]`);
  };
  const crd = parse(readFileSync(CRD_FILE, 'utf8'));
  walk(crd.spec.versions[0].schema.openAPIV3Schema, '');
  assert.deepEqual(missing, []);
});

test('printer columns are the ones kubectl get shows', () => {
  const cols = buildCrd().spec.versions[0]?.additionalPrinterColumns?.map((c) => c.name.toUpperCase());
  assert.deepEqual(cols, ['REPLICAS', 'READY', 'MASTER', 'PHASE', 'FAILOVERS', 'AGE']);
});

test("the operator image runs with the V8 flags in deploy/node-flags, as its entrypoint (the chart's args follow it)", () => {
  const root = join(__dirname, '..', '..');
  const flags = readFileSync(join(root, 'deploy', 'node-flags'), 'utf8')
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .flatMap((l) => l.split(/\s+/))
    .filter(Boolean);
  const cmd = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(root, 'images', 'operator', 'Dockerfile'), 'utf8'))?.[1];
  assert.deepEqual(JSON.parse(cmd ?? '[]'), ['node', ...flags, 'dist/src/main.js']);
});
