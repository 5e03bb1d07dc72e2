// The logins of one cluster, as read from its credentials Secret. Passwords
// live only here, in memory: never in a log line, a ConfigMap or the status.

export interface Login {
  username: string;
  password: string;
}

export interface ClusterCredentials {
  /** The Secret they come from. */
  secret: string;
  /** The OpenWire application user (group "app"). */
  app: Login;
  /** Console, Jolokia and full rights on every destination (group "admins"). */
  admin: Login;
  /** The digest password of the group znodes; undefined leaves them open. */
  zookeeperPassword?: string;
  /**
   * The Secret's uid and resourceVersion: the brokers' revision carries it, so
   * a changed Secret rolls them. Not a hash of the passwords, which a pod
   * annotation would expose to guessing.
   */
  version: string;
}

/** The keys of a credentials Secret (generated or brought by the user). */
export const CREDENTIAL_KEYS = {
  username: 'username',
  password: 'password',
  adminUsername: 'admin-username',
  adminPassword: 'admin-password',
  zookeeperPassword: 'zookeeper-password',
} as const;

/** The JAAS groups of the two users every cluster has. */
export const APP_GROUP = 'app';
export const ADMIN_GROUP = 'admins';
