// The seed's broker features, each proven on real brokers: a real control
// plane, the operator in this process, a real ZooKeeper ensemble and three
// real ActiveMQ 5.16.8 brokers (test/support/feature-brokers.ts), one
// BrokerCluster for every case (featureCluster in test/fixtures/clusters.ts).
// The features live in test/features/; the settings the API server refuses
// need no brokers and are in test/features-validation.test.ts.
//
// One file starts the brokers once for every feature: a set of its own per
// feature would add about 35 s each. To run one feature:
//   node --import tsx --test --test-name-pattern='^redelivery' test/features.test.ts
import { useFeatureBrokers } from './support/feature-brokers';
import { clientOptionFeatures } from './features/client-options';
import { redeliveryFeatures } from './features/redelivery';
import { deadLetterFeatures } from './features/dead-letters';
import { metricsFeatures } from './features/metrics';
import { schedulerFeatures } from './features/scheduler';
import { securityFeatures, zookeeperPasswordChange } from './features/security';

const feat = useFeatureBrokers();

// First: the logins every other case relies on.
securityFeatures(feat);
clientOptionFeatures(feat);
redeliveryFeatures(feat);
deadLetterFeatures(feat);
// Before the scheduler's: it reads the master that one kills, and leaves the scheduler as it found it.
metricsFeatures(feat);
// Last: it kills the master, and the scheduled jobs it checks must be its own.
schedulerFeatures(feat);
// After everything: it leaves the cluster blocked on a changed Secret.
zookeeperPasswordChange(feat);
