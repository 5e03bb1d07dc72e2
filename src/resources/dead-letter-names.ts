// The names of the dead-letter destinations the spec's strategies make, as
// one regular expression, so the metrics can mark them without a person
// having to know the prefixes.
import type { BrokerCluster } from '../api/types';

/** The queue of the shared strategy, and of the broker's default when the spec sets none. */
export const SHARED_DEAD_LETTER_QUEUE = 'ActiveMQ.DLQ';

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A regular expression (the same in Java and JavaScript) that matches a whole
 * destination name when it is a dead-letter queue or topic: ActiveMQ.DLQ, and
 * <prefix><name> for each prefix an individual strategy uses.
 */
export function deadLetterNamePattern(c: BrokerCluster): string {
  const dl = c.spec.broker.deadLetter;
  // ActiveMQ.DLQ always: a shared entry, or no deadLetter at all, sends there.
  const alternatives = new Set([escapeRegex(SHARED_DEAD_LETTER_QUEUE)]);
  if (dl?.strategy === 'individual') {
    // The top-level settings apply to queues and to topics.
    alternatives.add(`${escapeRegex(dl.queuePrefix)}.+`);
    alternatives.add(`${escapeRegex(dl.topicPrefix)}.+`);
  }
  for (const d of dl?.destinations ?? []) {
    if (d.strategy !== 'individual') continue;
    // An entry makes dead-letter destinations for its own kind only.
    alternatives.add(`${escapeRegex(d.queue !== undefined ? d.queuePrefix : d.topicPrefix)}.+`);
  }
  return [...alternatives].join('|');
}
