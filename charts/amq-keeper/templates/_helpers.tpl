{{/* Name of the chart, or nameOverride. */}}
{{- define "amq-keeper.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects: fullnameOverride, else <release>-<name>,
or just <release> when it already contains the name.
*/}}
{{- define "amq-keeper.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "amq-keeper.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object of the chart. */}}
{{- define "amq-keeper.labels" -}}
helm.sh/chart: {{ include "amq-keeper.chart" . }}
{{ include "amq-keeper.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: amq-keeper
{{- end }}

{{/* Labels that select the operator pod; never change them in an upgrade. */}}
{{- define "amq-keeper.selectorLabels" -}}
app.kubernetes.io/name: {{ include "amq-keeper.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "amq-keeper.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "amq-keeper.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "amq-keeper.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
Watched namespaces, comma-joined and validated: distinct namespace names.
Empty: all. A list, or a comma-separated string (--set watchNamespaces=a\,b).
*/}}
{{- define "amq-keeper.watchNamespaces" -}}
{{- $ns := .Values.watchNamespaces | default list }}
{{- if kindIs "string" $ns }}
{{- $ns = splitList "," $ns | compact }}
{{- end }}
{{- if not (kindIs "slice" $ns) }}
{{- fail "watchNamespaces must be a list of namespace names, e.g. [team-a, team-b]" }}
{{- end }}
{{- $names := list }}
{{- range $ns }}
{{- $n := toString . | trim }}
{{- if $n }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $n) }}
{{- fail (printf "watchNamespaces: %q is not a namespace name" $n) }}
{{- end }}
{{- $names = append $names $n }}
{{- end }}
{{- end }}
{{- if ne (len $names) (len (uniq $names)) }}
{{- fail "watchNamespaces lists a namespace twice" }}
{{- end }}
{{- join "," $names }}
{{- end }}

{{/*
What the operator does in each namespace it manages, read from src/:
- brokerclusters: list+watch (informer cache), get; status: merge PATCH;
  finalizers: update, because owned objects carry ownerReferences with
  blockOwnerDeletion (needed where OwnerReferencesPermissionEnforcement is on).
- owned kinds: list+watch (label-selected caches), create+patch (server-side
  apply creates and updates; merge patches for pod labels and claim owners),
  get for people and tools that act as the operator; delete only for pods
  (the rolling restart). Claims, Services, ConfigMaps and PDBs are removed by
  garbage collection through their ownerReferences, never by the operator.
- events.k8s.io events: create (Normal/Warning Events about a BrokerCluster).
- secrets: get, create, patch only (see the rule).
- networkpolicies: like the other owned kinds, with delete (see the rule).
Leases are granted separately, in the release namespace only
(amq-keeper.leaderElection).
*/}}
{{- define "amq-keeper.namespacedRules" -}}
- apiGroups: ["amqkeeper.io"]
  resources: ["brokerclusters"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["amqkeeper.io"]
  resources: ["brokerclusters/status"]
  verbs: ["patch"]
- apiGroups: ["amqkeeper.io"]
  resources: ["brokerclusters/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "patch"]
{{- /* delete: the Service and (with deleteClaim) the claim of a node removed by a scale-down */}}
- apiGroups: [""]
  resources: ["services", "persistentvolumeclaims"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create"]
{{- /* secrets: get, by name, the Secrets of its own clusters (no list/watch: it
never enumerates a namespace's Secrets, nor caches them); create+patch: server-side
apply of the Secrets it generates for a cluster, owned by it and so
garbage-collected with it (no delete). */}}
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "create", "patch"]
{{- /* networkpolicies: cached like every owned kind (list+watch), applied
(create+patch), and delete: the policy of a cluster whose spec no longer asks for it. */}}
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
{{- end }}

{{/*
admissionPolicy.namespaceLabels, validated, as YAML (read with fromYaml);
empty when unset. Keys and values go into CEL string literals, so only label
syntax is accepted.
*/}}
{{- define "amq-keeper.admissionNamespaceLabels" -}}
{{- $labels := .Values.admissionPolicy.namespaceLabels | default dict }}
{{- if not (kindIs "map" $labels) }}
{{- fail "admissionPolicy.namespaceLabels must be a map of label keys to values, e.g. {amqkeeper.io/brokers: allowed}" }}
{{- end }}
{{- range $k, $v := $labels }}
{{- if not (regexMatch "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$" $k) }}
{{- fail (printf "admissionPolicy.namespaceLabels: %q is not a label key" $k) }}
{{- end }}
{{- if not (regexMatch "^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$" (toString $v)) }}
{{- fail (printf "admissionPolicy.namespaceLabels: %q is not a label value (of %s)" (toString $v) $k) }}
{{- end }}
{{- end }}
{{- if $labels }}
{{- toYaml $labels }}
{{- end }}
{{- end }}

{{/*
Leader election settings, validated, as YAML: enabled, leaseName (defaulted),
leaseDuration, renewDeadline, retryPeriod. Read with fromYaml.
*/}}
{{- define "amq-keeper.leaderElection" -}}
{{- $le := .Values.leaderElection | default dict }}
{{- $replicas := int .Values.replicaCount }}
{{- if lt $replicas 1 }}
{{- fail (printf "replicaCount must be at least 1, not %v" .Values.replicaCount) }}
{{- end }}
{{- if and (gt $replicas 1) (not $le.enabled) }}
{{- fail (printf "replicaCount: %d needs leaderElection.enabled=true (without it every pod would reconcile and switch master Services)" $replicas) }}
{{- end }}
{{- range $key := list "leaseDuration" "renewDeadline" "retryPeriod" }}
{{- if not (regexMatch "^[0-9]+(ms|s)$" (toString (index $le $key))) }}
{{- fail (printf "leaderElection.%s must be a duration such as 500ms or 15s, not %q" $key (toString (index $le $key))) }}
{{- end }}
{{- end }}
enabled: {{ $le.enabled | default false }}
leaseName: {{ $le.leaseName | default (include "amq-keeper.fullname" .) | quote }}
leaseDuration: {{ $le.leaseDuration | quote }}
renewDeadline: {{ $le.renewDeadline | quote }}
retryPeriod: {{ $le.retryPeriod | quote }}
{{- end }}

{{/* Labels of the Prometheus operator objects: the chart's and monitoring.labels. */}}
{{- define "amq-keeper.monitoringLabels" -}}
{{ include "amq-keeper.labels" . }}
{{- with .Values.monitoring.labels }}
{{ toYaml . }}
{{- end }}
{{- end }}
