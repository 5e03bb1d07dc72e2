// The alert rules and the Grafana dashboard: checked and unit-tested with the
// real promtool (built from the Go module proxy by hack/build-promtool.sh),
// and every metric they name is one the operator or the brokers' exporter
// really produces. That the brokers produce theirs in a real scrape is asserted
// by test/features/metrics.ts; that the chart's PrometheusRule carries these
// very rules, and that the API server accepts it, by test/helm.test.ts.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { registry } from '../src/observability/metrics';
import { clusterGauges } from '../src/observability/cluster-gauges';
import { jmxExporterConfig } from '../src/resources/jmx-exporter-config';
import { cluster } from './fixtures/clusters';
import {
  ALERT_RULES_FILE,
  ALERT_RULES_TESTS_FILE,
  alertRules,
  dashboard,
  dashboardPanels,
  dashboardQueries,
  metricNamesIn,
  metricNamesUsed,
  promtoolPath,
  withGrafanaVariables,
} from './support/monitoring';

const REPO_DIR = path.resolve(__dirname, '..');
let promtool: string;

function run(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(promtool, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

/** Names a Prometheus scraping the operator sees: each registered metric, a histogram's series too. */
async function operatorMetricNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

/** activemq_* names the exporter rules the operator renders can produce (counters get _total). */
function exporterMetricNames(): Set<string> {
  const rules = jmxExporterConfig(cluster()).rules;
  return new Set(rules.map((r) => (r.type === 'COUNTER' ? `${r.name}_total` : r.name)));
}

before(async () => {
  const t0 = performance.now();
  promtool = await promtoolPath();
  console.log(`# promtool ready in ${Math.round(performance.now() - t0)} ms: ${promtool}`);
});

describe('the alert rules', () => {
  test('promtool check rules accepts the rules file', async () => {
    const r = await run(['check', 'rules', ALERT_RULES_FILE]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${alertRules().length} rules found`));
  });

  test('promtool test rules: they fire when they should and not before (no master, dead letters, no leader, not reconciling)', async () => {
    const r = await run(['test', 'rules', ALERT_RULES_TESTS_FILE]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS/);
    assert.doesNotMatch(r.out, /FAILED/);
  });

  test('each names a severity and tells a person what happened and what to do', () => {
    const rules = alertRules();
    assert.ok(rules.length >= 10, `${rules.length} rules`);
    assert.equal(new Set(rules.map((r) => r.alert)).size, rules.length, 'alert names are unique');
    for (const r of rules) {
      assert.match(r.alert, /^AmqKeeper[A-Z]\w+$/);
      assert.ok(['critical', 'warning', 'info'].includes(r.labels?.severity ?? ''), `${r.alert}: severity`);
      assert.ok((r.annotations?.summary?.length ?? 0) > 20, `${r.alert}: summary`);
      assert.ok((r.annotations?.description?.length ?? 0) > 150, `${r.alert}: a description that says what to do`);
    }
  });

  test('the ones the feature asks for are there, on the metrics they are about', () => {
    const byName = new Map(alertRules().map((r) => [r.alert, r.expr]));
    for (const [alert, metric] of [
      ['AmqKeeperNoMaster', 'amqkeeper_cluster_no_master_seconds'],
      ['AmqKeeperReplicasNotInSync', 'amqkeeper_cluster_replicas_not_in_sync_seconds'],
      ['AmqKeeperElectionStalled', 'amqkeeper_cluster_election_stalled'],
      ['AmqKeeperPodsOnLostNodes', 'amqkeeper_cluster_lost_pods'],
      ['AmqKeeperStoreUsageHigh', 'activemq_store_usage_percent'],
      ['AmqKeeperDeadLetters', 'activemq_destination_queue_size'],
      ['AmqKeeperScheduledJobsOnMaster', 'activemq_scheduler_jobs'],
      ['AmqKeeperOperatorNotLeading', 'amqkeeper_leader'],
      ['AmqKeeperOperatorNotReconciling', 'amqkeeper_reconciles_total'],
      ['AmqKeeperReconcileErrors', 'amqkeeper_reconcile_errors_total'],
    ] as const) {
      assert.ok(byName.has(alert), `${alert} missing`);
      assert.ok(metricNamesIn(byName.get(alert) ?? '').includes(metric), `${alert} is about ${metric}`);
    }
  });

  test('docs/monitoring.md lists every alert', () => {
    const docs = readFileSync(path.join(REPO_DIR, 'docs', 'monitoring.md'), 'utf8');
    const section = docs.slice(docs.indexOf('## Alerts and dashboard'));
    assert.ok(docs.includes('## Alerts and dashboard'));
    for (const r of alertRules()) assert.ok(section.includes(`\`${r.alert}\``), `${r.alert} in docs/monitoring.md`);
  });
});

describe('the Grafana dashboard', () => {
  test('is valid JSON, and every panel has a query, a unique id and a place', () => {
    const d = dashboard();
    assert.equal(d.uid, 'amq-keeper-clusters');
    const panels = dashboardPanels(d).filter((p) => p.type !== 'row');
    assert.ok(panels.length >= 15, `${panels.length} panels`);
    assert.equal(new Set(dashboardPanels(d).map((p) => p.id)).size, dashboardPanels(d).length, 'panel ids are unique');
    for (const p of panels) {
      assert.ok((p.targets?.length ?? 0) > 0, `panel "${p.title}" has a target`);
      for (const t of p.targets ?? []) assert.ok(t.expr?.trim() && t.refId, `panel "${p.title}": every target has a query`);
      assert.ok(p.gridPos && p.gridPos.x + p.gridPos.w <= 24, `panel "${p.title}" fits the grid`);
    }
    const titles = dashboardPanels(d).map((p) => p.title);
    for (const t of ['Cluster overview', 'Failovers', 'Nodes and replication', 'Destinations', 'Dead letters and scheduled jobs', 'Operator']) {
      assert.ok(titles.includes(t), `row "${t}"`);
    }
  });

  test('every query is PromQL that Prometheus parses (promtool, with the variables as Grafana fills them)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'amq-keeper-dashboard-'));
    const file = path.join(dir, 'dashboard-queries.yaml');
    const rules = dashboardQueries().map((q, i) => ({ record: `dashboard:query_${i}`, expr: withGrafanaVariables(q) }));
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = await run(['check', 'rules', file]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });
});

describe('metric names in the rules and the dashboard', () => {
  test("every amqkeeper_* one is registered in the operator's registry", async () => {
    assert.ok(clusterGauges.length > 0, 'the per-cluster gauges are registered on import');
    const registered = await operatorMetricNames();
    const used = [...metricNamesUsed()].filter((n) => n.startsWith('amqkeeper_'));
    assert.ok(used.length >= 10, used.join(' '));
    assert.deepEqual(
      used.filter((n) => !registered.has(n)),
      [],
      `registered: ${[...registered].join(' ')}`,
    );
  });

  test('every activemq_* one comes from a rule the operator renders for the exporter', () => {
    const produced = exporterMetricNames();
    const used = [...metricNamesUsed()].filter((n) => n.startsWith('activemq_'));
    assert.ok(used.length >= 10, used.join(' '));
    assert.deepEqual(
      used.filter((n) => !produced.has(n)),
      [],
    );
  });
});
