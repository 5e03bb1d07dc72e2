// A stalled replicated LevelDB election on demand: a Byteman rule makes the
// first slave stop of each broker JVM return at once while a gate file exists,
// which is how the store's own hang looks from ZooKeeper (a slave that never
// reports its position after its master died, so the elector elects nobody).
import { writeFileSync } from 'node:fs';
import { bytemanAgent } from './brokers';

const RULE = `RULE amq-keeper test: a slave whose stop never finishes
CLASS org.apache.activemq.leveldb.replicated.ElectingLevelDBStore
METHOD stop_slave
AT ENTRY
BIND gate:java.io.File = new java.io.File(System.getProperty("amqkeeper.test.stall"))
IF gate.exists() AND NOT flagged("amqkeeper.stall")
DO flag("amqkeeper.stall");
   traceln("amq-keeper test: slave stop held");
   return
ENDRULE
`;

/** What a broker log says when the rule held a stop. */
export const STALL_HELD = /amq-keeper test: slave stop held/;

/** Writes the rule next to `base`; returns the brokers' JVM options and the gate file that arms it. */
export async function stallInjection(base: string): Promise<{ javaOpts: string[]; gate: string }> {
  const gate = `${base}-stall-gate`;
  const rules = `${base}-stall.btm`;
  writeFileSync(rules, RULE);
  return { javaOpts: [`-javaagent:${await bytemanAgent()}=script:${rules}`, `-Damqkeeper.test.stall=${gate}`], gate };
}
