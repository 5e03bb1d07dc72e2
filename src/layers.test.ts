// Imports point down the layers: api, model and metadata at the bottom; then
// the builders, status, ZooKeeper, Kubernetes access, replication checks,
// leader election and observability; then the controller; then the
// operator's assembly and entry point, and the kubectl plugin beside them. A
// newcomer can read upwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = __dirname;
const LAYER: Record<string, number> = {
  api: 0,
  model: 0,
  metadata: 0,
  resources: 1,
  status: 1,
  zk: 1,
  kube: 1,
  replication: 1,
  leader: 1,
  observability: 1,
  controller: 2,
  '.': 3,
  plugin: 3,
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return f.endsWith('.ts') && !f.endsWith('.test.ts') ? [p] : [];
  });
}

const layerOf = (file: string) => {
  const top = relative(SRC, file).split('/');
  return LAYER[top.length > 1 ? top[0]! : '.'];
};

test('every folder of src/ has a layer', () => {
  for (const f of sources(SRC)) assert.notEqual(layerOf(f), undefined, relative(SRC, f));
});

test('no module imports from a layer above its own', () => {
  const upward: string[] = [];
  for (const file of sources(SRC)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^import[^']*'(\.[^']+)'/gm)) {
      const target = resolve(dirname(file), m[1]!);
      if (!target.startsWith(SRC)) {
        upward.push(`${relative(SRC, file)} imports ${m[1]} from outside src/`);
        continue;
      }
      if ((layerOf(`${target}.ts`) ?? 0) > (layerOf(file) ?? 0)) upward.push(`${relative(SRC, file)} imports ${m[1]}`);
    }
  }
  assert.deepEqual(upward, []);
});
