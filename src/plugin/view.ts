// What `kubectl amq status` shows, computed from the BrokerCluster's status
// and its broker pods alone; no I/O here.
import type { V1Pod } from '@kubernetes/client-node';
import type { BrokerCluster, BrokerClusterStatus, Condition, Member } from '../api/types';
import { ANNOTATION_PAUSE, ANNOTATION_SWITCHOVER, LABEL_NODE, LABEL_ROLE } from '../metadata/labels';
import { brokerIndexOf, names } from '../metadata/names';

export type SwitchoverStatus = NonNullable<BrokerClusterStatus['switchover']>;

export interface NodeRow {
  pod: string;
  /** master or slave as ZooKeeper reports it (the status's members, else the pod's role label); "-" when neither says. */
  role: string;
  /** yes, no, or "-" when there is no pod. */
  ready: string;
  /** yes, no, unknown; "-" for the master, which the slaves are compared with. */
  inSync: string;
  /** The pod's phase, Terminating, or Missing. */
  state: string;
  restarts: number;
  /** The Kubernetes node the pod runs on. */
  node: string;
}

export interface ClusterView {
  name: string;
  namespace: string;
  phase?: string;
  ready?: string;
  master?: string;
  masterSince?: string;
  previousMaster?: string;
  masterLostAt?: string;
  failovers: number;
  lastFailover?: BrokerClusterStatus['lastFailover'];
  paused: boolean;
  inSync?: Condition;
  masterElected?: Condition;
  /** The switchover annotation's value, when the operator has not answered it yet. */
  switchoverAsked?: string;
  switchover?: SwitchoverStatus;
  failoverUrl?: string;
  nodes: NodeRow[];
  warnings: string[];
}

const conditionOf = (bc: BrokerCluster, type: string): Condition | undefined => bc.status?.conditions?.find((c) => c.type === type);

function podReady(p: V1Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function indexOf(name: string, p: V1Pod | undefined, pod: string): number | undefined {
  const label = p?.metadata?.labels?.[LABEL_NODE];
  return label !== undefined && /^\d+$/.test(label) ? Number(label) : brokerIndexOf(name, pod);
}

/**
 * One slave's standing: its member's inSync where the status has it, else
 * from the cluster-wide ReplicasInSync condition (named in a False message
 * means not in sync).
 */
function inSyncOf(role: string, member: Member | undefined, pod: string, cond: Condition | undefined): string {
  if (role === 'master') return '-';
  if (member?.inSync !== undefined) return member.inSync ? 'yes' : 'no';
  if (!cond) return 'unknown';
  if (!member) return 'no';
  if (cond.status === 'True') return 'yes';
  const named = new RegExp(`(?<![\\w.-])${pod.replace(/[.]/g, '\\.')}(?![\\w-])`);
  return cond.message && named.test(cond.message) ? 'no' : 'unknown';
}

export function clusterView(bc: BrokerCluster, pods: readonly V1Pod[]): ClusterView {
  const name = bc.metadata.name ?? '';
  const s = bc.status ?? {};
  const inSync = conditionOf(bc, 'ReplicasInSync');
  const members = new Map((s.members ?? []).filter((m) => m.pod).map((m) => [m.pod ?? '', m]));
  const byName = new Map(pods.map((p) => [p.metadata?.name ?? '', p]));
  // Every node the spec wants, every broker pod there is (a cluster scaling down still runs more) and every member.
  const wanted = Array.from({ length: bc.spec.replicas ?? 0 }, (_, i) => names.brokerPod(name, i));
  const all = [...new Set([...wanted, ...byName.keys(), ...members.keys()])].filter((n) => n !== '');
  const order = (pod: string): number => indexOf(name, byName.get(pod), pod) ?? Number.MAX_SAFE_INTEGER;
  all.sort((a, b) => order(a) - order(b) || a.localeCompare(b));

  const nodes = all.map((pod): NodeRow => {
    const p = byName.get(pod);
    const m = members.get(pod);
    const role = m?.role ?? p?.metadata?.labels?.[LABEL_ROLE] ?? '-';
    const restarts = (p?.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
    return {
      pod,
      role,
      ready: p ? (podReady(p) ? 'yes' : 'no') : '-',
      inSync: inSyncOf(role, m, pod, inSync),
      state: !p ? 'Missing' : p.metadata?.deletionTimestamp ? 'Terminating' : (p.status?.phase ?? 'Unknown'),
      restarts,
      node: p?.spec?.nodeName ?? '-',
    };
  });

  const warnings: string[] = [];
  const warning = conditionOf(bc, 'Warning');
  if (warning?.status === 'True' && warning.message) warnings.push(warning.message);
  const reconciled = conditionOf(bc, 'Reconciled');
  if (reconciled?.status === 'False') warnings.push(`the last reconcile failed: ${reconciled.message ?? reconciled.reason ?? 'no message'}`);

  const asked = bc.metadata.annotations?.[ANNOTATION_SWITCHOVER];
  const view: ClusterView = {
    name,
    namespace: bc.metadata.namespace ?? '',
    failovers: s.failovers ?? 0,
    paused: bc.metadata.annotations?.[ANNOTATION_PAUSE] === 'true',
    nodes,
    warnings,
  };
  const put = <K extends keyof ClusterView>(key: K, value: ClusterView[K] | undefined | ''): void => {
    if (value !== undefined && value !== '') view[key] = value;
  };
  put('phase', s.phase);
  put('ready', s.ready);
  put('master', s.master);
  put('masterSince', s.masterSince);
  put('previousMaster', s.previousMaster);
  put('masterLostAt', s.masterLostAt);
  put('lastFailover', s.lastFailover);
  put('inSync', inSync);
  put('masterElected', conditionOf(bc, 'MasterElected'));
  put('switchover', s.switchover);
  if (asked !== undefined && asked !== s.switchover?.request) view.switchoverAsked = asked;
  put('failoverUrl', s.failoverUrl);
  return view;
}

/** A duration as kubectl prints ages: 45s, 12m, 3h, 2d. */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

const since = (at: string | undefined, now: Date): string => (at ? ` since ${at} (${age(now.getTime() - new Date(at).getTime())} ago)` : '');

/** How a switchover ended or stands, in one line. */
export function switchoverOutcome(s: SwitchoverStatus): string {
  if (s.state === 'Done' && s.from && s.to && s.from !== s.to) {
    const took = s.interruptionMs === undefined ? '' : `; no master for ${s.interruptionMs} ms`;
    return `${s.from} -> ${s.to}${took}`;
  }
  return s.message ?? '';
}

/** Columns padded as kubectl pads them: two spaces apart, the last unpadded. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ')).join('\n');
}

const YES_NO: Record<string, string> = { True: 'yes', False: 'no', Unknown: 'unknown' };

const conditionLine = (c: Condition | undefined): string =>
  c ? `${YES_NO[c.status] ?? c.status} (${c.reason ?? c.status}): ${c.message ?? ''}` : 'not reported yet';

export function renderStatus(v: ClusterView, now: Date): string {
  const lines: [string, string][] = [];
  const state = [v.phase, v.ready ? `${v.ready} ready` : undefined].filter(Boolean).join(', ');
  lines.push(['Cluster', `${v.namespace}/${v.name}${state ? ` (${state})` : ''}`]);
  if (v.master) lines.push(['Master', `${v.master}${since(v.masterSince, now)}`]);
  else {
    const was = v.previousMaster ? `, was ${v.previousMaster}` : '';
    const why = v.masterElected?.message ? `: ${v.masterElected.message}` : '';
    lines.push(['Master', `none${since(v.masterLostAt, now)}${was}${why}`]);
  }
  const lf = v.lastFailover;
  const last = lf?.from || lf?.to ? `; last ${lf.from ?? '?'} -> ${lf.to ?? '?'}${lf.at ? ` at ${lf.at}` : ''}` : '';
  const gap = lf?.durationMs === undefined ? '' : `, no master for ${lf.durationMs} ms`;
  lines.push(['Failovers', `${v.failovers}${last}${gap}`]);
  lines.push(['In sync', conditionLine(v.inSync)]);
  if (v.switchoverAsked !== undefined) lines.push(['Switchover', `${v.switchoverAsked}: asked for, not answered by the operator yet`]);
  else if (v.switchover) lines.push(['Switchover', `${v.switchover.state ?? '?'} (${v.switchover.request ?? ''}): ${switchoverOutcome(v.switchover)}`]);
  if (v.paused) lines.push(['Paused', 'yes: the operator writes nothing for this cluster but the master Service (resume: kubectl amq resume)']);
  const head = lines.map(([k, val]) => `${`${k}:`.padEnd(12)}${val}`).join('\n');
  const rows = [
    ['POD', 'ROLE', 'READY', 'IN-SYNC', 'STATUS', 'RESTARTS', 'NODE'],
    ...v.nodes.map((n) => [n.pod, n.role, n.ready, n.inSync, n.state, String(n.restarts), n.node]),
  ];
  const warnings = v.warnings.length === 0 ? 'Warnings:   none' : `Warnings:\n${v.warnings.map((w) => `  - ${w}`).join('\n')}`;
  return `${head}\n\n${table(rows)}\n\n${warnings}\n`;
}
