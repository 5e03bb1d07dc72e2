// Warning: things the API server accepted that the user should know about, or
// that stop the operator from applying the spec.
import type { Problem } from '../model/problem';
import type { ConditionValue } from './conditions';

export function warning(problems: readonly Problem[]): ConditionValue {
  if (problems.length === 0) return { status: 'False', reason: 'NoWarnings', message: 'nothing to report' };
  return { status: 'True', reason: problems[0]!.reason, message: problems.map((p) => `${p.field}: ${p.message}`).join('; ') };
}
