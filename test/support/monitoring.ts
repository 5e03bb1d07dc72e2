// The alert rules and the Grafana dashboard the repository ships, read as a
// person's Prometheus and Grafana would read them: their queries, and the
// metric names those queries use.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { fetchedPath } from './fetched';

const REPO_DIR = path.resolve(__dirname, '..', '..');
/** The one rules file: plain Prometheus rules, and the spec of the chart's PrometheusRule. */
export const ALERT_RULES_FILE = path.join(REPO_DIR, 'charts', 'amq-keeper', 'files', 'prometheus-rules.yaml');
/** promtool unit tests of those rules. */
export const ALERT_RULES_TESTS_FILE = path.join(REPO_DIR, 'test', 'fixtures', 'prometheus-rules.promtest.yaml');
export const DASHBOARD_FILE = path.join(REPO_DIR, 'deploy', 'monitoring', 'grafana-dashboard.json');

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

export function alertRuleGroups(): RuleGroup[] {
  return (parse(readFileSync(ALERT_RULES_FILE, 'utf8')) as { groups: RuleGroup[] }).groups;
}

export function alertRules(): AlertRule[] {
  return alertRuleGroups().flatMap((g) => g.rules);
}

export interface DashboardTarget {
  expr?: string;
  refId?: string;
  legendFormat?: string;
}
export interface DashboardPanel {
  id?: number;
  type: string;
  title?: string;
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
  gridPos?: { h: number; w: number; x: number; y: number };
}
export interface Dashboard {
  title: string;
  uid: string;
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
}

/** The dashboard as parsed JSON (throws on invalid JSON). */
export function dashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

/** Every panel, those inside collapsed rows too; rows themselves included. */
export function dashboardPanels(d: Dashboard = dashboard()): DashboardPanel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Every PromQL query of the dashboard: the panels' targets and the template variables' label_values(). */
export function dashboardQueries(d: Dashboard = dashboard()): string[] {
  const targets = dashboardPanels(d).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
  const variables = d.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => (typeof v.query === 'string' ? v.query : (v.query?.query ?? '')))
    .map((q) => /^label_values\((.*),\s*\w+\)$/.exec(q)?.[1] ?? q);
  return [...targets, ...variables];
}

/**
 * A dashboard query as Prometheus would get it from Grafana: the time-range
 * macros as durations, the variables as the "All" value.
 */
export function withGrafanaVariables(expr: string): string {
  return expr.replaceAll('$__rate_interval', '2m').replaceAll('$__interval', '30s').replaceAll('$__range', '6h').replace(/\$\w+/g, '.*');
}

// The exporter's and the operator's prefixes; label names such as dead_letter never start so.
const METRIC_NAME = /\b(?:activemq|amqkeeper|jmx)_[a-zA-Z0-9_:]*/g;

/** The project's metric names a PromQL expression names (quoted strings skipped). */
export function metricNamesIn(expr: string): string[] {
  return [...expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').matchAll(METRIC_NAME)].map((m) => m[0]);
}

/** Every project metric name the alert rules and the dashboard use. */
export function metricNamesUsed(): Set<string> {
  const exprs = [...alertRules().map((r) => r.expr), ...dashboardQueries()];
  return new Set(exprs.flatMap(metricNamesIn));
}

/** promtool, built once from the Go module proxy by hack/build-promtool.sh. */
export function promtoolPath(): Promise<string> {
  return fetchedPath('hack/build-promtool.sh');
}
