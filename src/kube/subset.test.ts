import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSubset } from './subset';

test('defaulted fields on the live object do not count as a difference', () => {
  const desired = { spec: { ports: [{ name: 'a', port: 1 }] } };
  const live = { spec: { ports: [{ name: 'a', port: 1, protocol: 'TCP' }], clusterIP: '10.0.0.1' }, status: {} };
  assert.equal(isSubset(desired, live), true);
});

test('a changed value, a missing field or a list of another length is a difference', () => {
  assert.equal(isSubset({ a: { b: 1 } }, { a: { b: 2 } }), false);
  assert.equal(isSubset({ a: { b: 1 } }, { a: {} }), false);
  assert.equal(isSubset({ a: [1, 2] }, { a: [1, 2, 3] }), false);
  assert.equal(isSubset({ a: 'x' }, { a: null }), false);
});

test('integer-or-string values compare by their text', () => {
  assert.equal(isSubset({ targetPort: 61617 }, { targetPort: '61617' }), true);
});
