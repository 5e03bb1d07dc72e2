// Names of the API this operator serves.
export const GROUP = 'amqkeeper.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'BrokerCluster';
export const PLURAL = 'brokerclusters';
export const SINGULAR = 'brokercluster';
export const SHORT_NAMES = ['bc'];
export const CRD_NAME = `${PLURAL}.${GROUP}`;
/** The one field manager for every server-side apply the operator makes. */
export const FIELD_MANAGER = 'amq-keeper';
/** Reporting controller of Events. */
export const REPORTING_CONTROLLER = 'amqkeeper.io/operator';
