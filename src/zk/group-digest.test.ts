import { test } from 'node:test';
import assert from 'node:assert/strict';
import { digestId, judgeGroupAcl } from './group-digest';

const acl = (scheme: string, id: string) => ({ id: { scheme, id } });

test("the digest id is ZooKeeper's: user:base64(sha1(user:password))", () => {
  // As DigestAuthenticationProvider.generateDigest("fabric:s3cret-pw") gives it (zookeeper-3.4.14.jar).
  assert.equal(digestId('fabric', 's3cret-pw'), 'fabric:ONyLNo/Caf//vE6vDUdXLhHQnRI=');
});

test('the group node made with this password, another one (shown as x to this session), or no digest at all', () => {
  assert.equal(judgeGroupAcl([acl('digest', digestId('fabric', 'p1')), acl('world', 'anyone')], 'p1'), 'same');
  assert.equal(judgeGroupAcl([acl('digest', 'fabric:x'), acl('world', 'anyone')], 'p2'), 'changed');
  assert.equal(judgeGroupAcl([acl('world', 'anyone')], 'p1'), 'open');
});
