// Whether a cluster's zookeeper-password is the one its group znode was made
// with. The brokers create that node under a digest ACL (broker patch 05) and
// nothing re-keys it: a broker started with another password cannot join the
// group. ZooKeeper shows a digest entry's hash only to a session logged in
// with that very identity, so one getACL with the current password tells.
import { createHash } from 'node:crypto';
import { createClient, type ACL, type Exception } from 'node-zookeeper-client';

/** same: made with this password; changed: with another; open: no digest (an older cluster); absent: not made yet. */
export type GroupDigest = 'same' | 'changed' | 'open' | 'absent';

/** The identity replicated LevelDB logs in with (its user name is fixed). */
const BROKER_USER = 'fabric';
const NO_NODE = -101;

/** The id ZooKeeper's digest scheme stores for user:password. */
export function digestId(user: string, password: string): string {
  return `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
}

/** Judges the ACL of the group node as read by a session logged in with password. */
export function judgeGroupAcl(acls: readonly Pick<ACL, 'id'>[], password: string): GroupDigest {
  const digests = acls.filter((a) => a.id.scheme === 'digest');
  if (digests.length === 0) return 'open';
  const mine = digestId(BROKER_USER, password);
  return digests.some((a) => a.id.id === mine) ? 'same' : 'changed';
}

/** One short session, logged in as the brokers are, reads the ACL of path. */
export function readGroupDigest(connectString: string, path: string, password: string, timeoutMs = 5_000): Promise<GroupDigest> {
  const client = createClient(connectString, { sessionTimeout: 10_000, spinDelay: 200, retries: 0 });
  client.addAuthInfo('digest', Buffer.from(`${BROKER_USER}:${password}`));
  return new Promise<GroupDigest>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ZooKeeper ${connectString} did not answer within ${timeoutMs} ms`)), timeoutMs);
    client.once('connected', () => {
      client.getACL(path, (err, acls) => {
        clearTimeout(timer);
        if (!err) resolve(judgeGroupAcl(acls, password));
        else if ((err as Exception).getCode?.() === NO_NODE) resolve('absent');
        else reject(err);
      });
    });
    client.connect();
  }).finally(() => client.close());
}
