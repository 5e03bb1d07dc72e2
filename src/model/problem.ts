// Something about a cluster a person should know: found by the spec checks,
// reported in the Warning condition.
export interface Problem {
  reason: string;
  /** The field to fix, e.g. spec.replicas. */
  field: string;
  message: string;
}
