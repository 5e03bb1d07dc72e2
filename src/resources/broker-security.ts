// What the brokers need to check who connects: the JAAS groups file and
// authorization entries (rendered, no password in them), and the volume that
// brings the passwords from the Secrets into the pod. The entrypoint
// (images/broker/entrypoint.sh) writes users.properties and the console's
// realm from that volume at every start, outside any ConfigMap or claim.
import type { V1Volume } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { ADMIN_GROUP, APP_GROUP, type ClusterCredentials, CREDENTIAL_KEYS } from '../model/credentials';

/** Where the pod mounts the passwords (images/broker/entrypoint.sh: AMQ_CREDENTIALS_DIR). */
export const CREDENTIALS_DIR = '/etc/amq-keeper/credentials';
/** The ZooKeeper digest password in the credentials volume (images/broker/entrypoint.sh: AMQ_ZK_PASSWORD). */
export const ZK_PASSWORD_FILE = 'zookeeper/password';
/** The ConfigMap key of the JAAS groups; its presence tells the entrypoint that clients must log in. */
export const GROUPS_FILE = 'groups.properties';
/** The login.config domain of the distribution (PropertiesLoginModule on users/groups.properties). */
export const JAAS_DOMAIN = 'activemq';

export interface AuthorizationEntry {
  queue?: string;
  topic?: string;
  read: string[];
  write: string[];
  admin: string[];
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

/** Every group a user of this cluster may be in. */
export function allGroups(c: BrokerCluster): string[] {
  return unique([ADMIN_GROUP, APP_GROUP, ...(c.spec.security.users ?? []).flatMap((u) => u.groups)]);
}

/**
 * The entries in the order ActiveMQ gets them. ActiveMQ grants the union of
 * every entry that matches a destination, so the admin group's catch-all keeps
 * it every right whatever the user's entries say; every group may use the
 * advisory topics, without which a client cannot even connect.
 */
export function authorizationEntries(c: BrokerCluster): AuthorizationEntry[] {
  const everyone = allGroups(c);
  const all = (groups: string[]) => ({ read: groups, write: groups, admin: groups });
  const given = c.spec.security.authorization ?? [];
  const catchAllGroups = given.length === 0 ? [ADMIN_GROUP, APP_GROUP] : [ADMIN_GROUP];
  const entries: AuthorizationEntry[] = given.map((e) => ({
    ...(e.queue !== undefined ? { queue: e.queue } : { topic: e.topic ?? '>' }),
    read: unique(e.read ?? []),
    write: unique(e.write ?? []),
    admin: unique(e.admin ?? []),
  }));
  entries.push({ queue: '>', ...all(catchAllGroups) }, { topic: '>', ...all(catchAllGroups) }, { topic: 'ActiveMQ.Advisory.>', ...all(everyone) });
  return entries;
}

/** groups.properties: group=user,user. Usernames only; they come from the Secret and the spec. */
export function renderGroups(c: BrokerCluster, creds: ClusterCredentials): string {
  const members = new Map<string, string[]>();
  const add = (group: string, user: string) => members.set(group, unique([...(members.get(group) ?? []), user]));
  add(ADMIN_GROUP, creds.admin.username);
  add(APP_GROUP, creds.app.username);
  for (const u of c.spec.security.users ?? []) for (const g of u.groups) add(g, u.username);
  return [...members].map(([g, users]) => `${g}=${users.join(',')}\n`).join('');
}

/**
 * The one volume with every password the broker needs: app/ and admin/
 * (username, password) and, with zookeeper, zookeeper/password from the
 * credentials Secret, users/<name> from each extra user's Secret. Readable by
 * the pod's group only.
 */
export function credentialsVolume(c: BrokerCluster, secret: string, zookeeper = false): V1Volume {
  const users = c.spec.security.users ?? [];
  return {
    name: 'credentials',
    projected: {
      defaultMode: 0o440,
      sources: [
        {
          secret: {
            name: secret,
            items: [
              { key: CREDENTIAL_KEYS.username, path: 'app/username' },
              { key: CREDENTIAL_KEYS.password, path: 'app/password' },
              { key: CREDENTIAL_KEYS.adminUsername, path: 'admin/username' },
              { key: CREDENTIAL_KEYS.adminPassword, path: 'admin/password' },
              // Only when the Secret has the key: a missing item keeps the pod from starting.
              ...(zookeeper ? [{ key: CREDENTIAL_KEYS.zookeeperPassword, path: ZK_PASSWORD_FILE }] : []),
            ],
          },
        },
        ...users.map((u) => ({ secret: { name: u.passwordSecret.name, items: [{ key: u.passwordSecret.key, path: `users/${u.username}` }] } })),
      ],
    },
  };
}
