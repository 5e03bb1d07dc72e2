// Decodes what replicated-LevelDB brokers write under zkPath. Each broker
// joins with an ephemeral sequential child "0<10-digit seq>" holding JSON
// {id, container, address, position, weight, elected}. Within one id
// (brokerName) the lowest sequence is the elector; its `elected` names the
// master's member id, and the master serves once its `address` is set.
import type { Member } from '../api/types';

export interface RawMember {
  /** The ZooKeeper child name, e.g. "00000000003". */
  node: string;
  data: Buffer | string | null | undefined;
}

export interface DecodedMember {
  node: string;
  /** The node name without its leading 0: what `elected` refers to. */
  memberId: string;
  seq: number;
  id: string | null;
  container: string | null;
  address: string | null;
  position: number | null;
  weight: number | null;
  elected: string | null;
}

export interface GroupView {
  /** Members of our brokerName, lowest sequence first. */
  members: DecodedMember[];
  /** The member named by the elector, if it is still there. */
  elected?: DecodedMember;
  /** The elected member once it has published its address. */
  master?: DecodedMember;
  /** Things a person should know; never fatal. */
  problems: string[];
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Parses one child; returns a problem text instead of throwing. */
export function decodeMember(raw: RawMember): DecodedMember | string {
  if (!/^0\d+$/.test(raw.node)) return `unexpected node ${raw.node}`;
  const text = raw.data === null || raw.data === undefined ? '' : raw.data.toString();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `member ${raw.node} has data that is not JSON`;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return `member ${raw.node} has data that is not a JSON object`;
  const o = json as Record<string, unknown>;
  return {
    node: raw.node,
    memberId: raw.node.slice(1),
    seq: Number(raw.node),
    id: str(o.id),
    container: str(o.container),
    address: str(o.address),
    position: num(o.position),
    weight: num(o.weight),
    elected: str(o.elected),
  };
}

/** Groups the children of zkPath and finds the master of brokerName's group. */
export function decodeGroup(raws: readonly RawMember[], brokerName: string): GroupView {
  const problems: string[] = [];
  const members: DecodedMember[] = [];
  const others = new Set<string>();
  for (const raw of raws) {
    const m = decodeMember(raw);
    if (typeof m === 'string') problems.push(m);
    else if (m.id !== brokerName) others.add(m.id ?? 'null');
    else members.push(m);
  }
  if (others.size > 0) {
    problems.push(`members of other broker names share this path (${[...others].sort().join(', ')}); they are ignored`);
  }
  members.sort((a, b) => a.seq - b.seq);
  const elector = members[0];
  const view: GroupView = { members, problems };
  if (!elector?.elected) return view;
  const elected = members.find((m) => m.memberId === elector.elected);
  if (!elected) {
    problems.push(`the elector names member ${elector.elected}, which is gone`);
    return view;
  }
  view.elected = elected;
  if (elected.address) view.master = elected;
  return view;
}

/** The pod a member runs in: its container label, else the first label of its address host. */
export function podOfMember(m: DecodedMember, isPod: (name: string) => boolean): string | undefined {
  if (m.container && isPod(m.container)) return m.container;
  const host = m.address ? /^[a-z]+:\/\/([^:/]+)/i.exec(m.address)?.[1] : undefined;
  const first = host?.split('.')[0];
  return first && isPod(first) ? first : undefined;
}

/** Status members, in sequence order. */
export function statusMembers(view: GroupView, isPod: (name: string) => boolean): Member[] {
  return view.members.map((m) => {
    const out: Member = { memberId: m.memberId, role: view.master === m ? 'master' : 'slave' };
    const pod = podOfMember(m, isPod);
    if (pod) out.pod = pod;
    if (m.address) out.address = m.address;
    if (m.position !== null) out.position = m.position;
    if (m.weight !== null) out.weight = m.weight;
    return out;
  });
}
