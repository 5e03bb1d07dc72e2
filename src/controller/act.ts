// Act: carries out a plan. The master Service first, then the writes in
// order, the status, and only then the Events and what to remember: a plan
// whose status could not be written is made again on the next reconcile.
import { randomBytes } from 'node:crypto';
import type { Applier } from '../kube/apply';
import { names } from '../metadata/names';
import { buildCredentialsSecret } from '../resources/credentials-secret';
import type { EventRecorder } from '../kube/events';
import type { StatusWriter } from '../kube/status-writer';
import type { Logger } from '../observability/logger';
import { metrics } from '../observability/metrics';
import type { ReplicationGuard } from '../replication/replication-guard';
import type { ClusterMemory } from './cluster-memory';
import type { Write } from './child-writes';
import type { Observation } from './observe';
import type { Plan } from './plan';

/** 32 characters of base64url: nothing a properties file or a realm line must escape. */
function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

export interface ActDeps {
  applier: Applier;
  status: StatusWriter;
  events: EventRecorder;
  replication?: ReplicationGuard;
  log: Logger;
}

async function write(applier: Applier, w: Write): Promise<void> {
  if (w.verb === 'apply') await applier.apply(w.object);
  else if (w.verb === 'patch') await applier.mergePatch(w.object);
  else await applier.delete(w.object, w.force);
}

export async function act(d: ActDeps, o: Observation, p: Plan, memory: ClusterMemory): Promise<void> {
  const c = o.cluster;
  const log = d.log.child({ namespace: c.metadata.namespace, cluster: c.metadata.name });
  if (p.switchMaster) {
    await d.applier.apply(p.switchMaster);
    if (o.election?.at) metrics.masterSwitchSeconds.observe((Date.now() - o.election.at.getTime()) / 1000);
  }
  if (p.generateCredentials) {
    await d.applier.create(buildCredentialsSecret(c, { app: newPassword(), admin: newPassword(), zookeeper: newPassword() }));
    log.info('credentials Secret generated', { secret: names.credentials(c.metadata.name ?? '') });
  }
  for (const w of p.writes) await write(d.applier, w);
  if (p.writes.length > 0) log.debug('applied', { writes: p.writes.length });
  if (p.recheck) d.replication?.recheck(c);
  if (p.roll.action === 'restart' || p.roll.action === 'remove') {
    // Its members must leave the group before the slaves count as in sync again.
    d.replication?.restarted(c, o.election, p.roll.pod);
    log.info(p.roll.action === 'restart' ? 'restarting pod' : 'removing pod', { pod: p.roll.pod, reason: p.roll.reason });
  }
  if (await d.status.write(c, p.status)) {
    memory.written = { basedOn: c.metadata.resourceVersion, status: p.status };
    const labels = { namespace: c.metadata.namespace ?? '', cluster: c.metadata.name ?? '' };
    const gained = (p.status.failovers ?? 0) - (c.status?.failovers ?? 0);
    if (gained > 0) metrics.failovers.inc(labels, gained);
    const stalls = (p.status.stalledElections ?? 0) - (c.status?.stalledElections ?? 0);
    if (stalls > 0) metrics.electionStalls.inc(labels, stalls);
  }
  Object.assign(memory, p.remember);
  for (const e of p.events) await d.events.record(c, e.type, e.reason, e.action, e.note);
}
