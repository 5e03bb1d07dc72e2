// What the operator asks of the elected master through its web console: the
// master's view of its slaves, and a checkpoint write.
import { type ConsoleCredentials, JolokiaClient, JolokiaError } from './jolokia';

export interface SlaveView {
  /** Caught up with the master's log (the master's own word for it). */
  attached: boolean;
  /** The log position the slave last acknowledged. */
  position: number;
}

export interface ReplicationView {
  /** The master's log position. */
  position: number;
  slaves: SlaveView[];
}

/** Holds one message for the moment of a checkpoint; never purged or deleted (see checkpoint()). */
const CHECKPOINT_QUEUE = 'amqkeeper.replication.checkpoint';

/** ActiveMQ's JMXSupport.encodeObjectNamePart for the characters a brokerName may hold. */
function objectNamePart(s: string): string {
  return s.replace(/[:,'"]/g, '_');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decodes a read of Position and Slaves on the store's view=Replication MBean (an ObjectName pattern). */
export function replicationViewOf(value: unknown): ReplicationView {
  const views = isRecord(value) ? Object.values(value) : [];
  const v = views[0];
  if (views.length !== 1 || !isRecord(v)) throw new JolokiaError(`expected one replicated store, got ${views.length}`, 'failed');
  if (typeof v.Position !== 'number') throw new JolokiaError('the replicated store reports no Position (is this broker the master?)', 'failed');
  const slaves = Array.isArray(v.Slaves) ? v.Slaves : [];
  return {
    position: v.Position,
    slaves: slaves.filter(isRecord).map((s) => ({ attached: s.attached === true, position: typeof s.position === 'number' ? s.position : -1 })),
  };
}

export class MasterConsole {
  private readonly broker: string;
  private readonly queue: string;
  private readonly store: string;
  private readonly jolokia: JolokiaClient;

  constructor(
    /** The cluster's admin user: the console's login, and the checkpoint's sender. */
    private readonly admin: ConsoleCredentials,
    /** http(s)://host:port/api/jolokia/ of the master's console. */
    readonly url: string,
    brokerName: string,
    /** The CA its https certificate must chain to (spec.tls); undefined: the system's roots. */
    ca?: string,
  ) {
    this.jolokia = new JolokiaClient(admin, ca);
    this.broker = `org.apache.activemq:type=Broker,brokerName=${objectNamePart(brokerName)}`;
    this.queue = `${this.broker},destinationType=Queue,destinationName=${CHECKPOINT_QUEUE}`;
    this.store = `${this.broker},service=PersistenceAdapter,instanceName=*,view=Replication`;
  }

  private readView() {
    return { type: 'read' as const, mbean: this.store, attribute: ['Position', 'Slaves'] };
  }

  async replication(): Promise<ReplicationView> {
    const [value] = await this.jolokia.call(this.url, [this.readView()]);
    return replicationViewOf(value);
  }

  /**
   * One persistent write through the store, and the master's view right after it.
   * A send and the removal of that one message: purging or deleting a queue
   * writes a remove-collection record that 5.16's LevelDB replay cannot
   * decode, which silently ends the replay there.
   */
  async checkpoint(): Promise<ReplicationView> {
    const [, id] = await this.jolokia.call(this.url, [
      { type: 'exec', mbean: this.broker, operation: 'addQueue', arguments: [CHECKPOINT_QUEUE] },
      {
        type: 'exec',
        mbean: this.queue,
        // The send goes through the broker's own vm:// connector, which asks for a login like any client.
        operation: 'sendTextMessage(java.util.Map,java.lang.String,java.lang.String,java.lang.String)',
        // JMSDeliveryMode 2 = PERSISTENT; the console's send is non-persistent by default.
        arguments: [{ JMSDeliveryMode: '2' }, 'amq-keeper replication checkpoint', this.admin.username, this.admin.password],
      },
    ]);
    if (typeof id !== 'string') throw new JolokiaError('the checkpoint send returned no message id', 'failed');
    const [, value] = await this.jolokia.call(this.url, [
      { type: 'exec', mbean: this.queue, operation: 'removeMessage(java.lang.String)', arguments: [id] },
      this.readView(),
    ]);
    return replicationViewOf(value);
  }
}
