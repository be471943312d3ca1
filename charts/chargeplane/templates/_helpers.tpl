{{/*
Chart name, truncated to the 63 characters a label value allows.
*/}}
{{- define "chargeplane.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name; the release name alone when it already contains the chart name.
*/}}
{{- define "chargeplane.fullname" -}}
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

{{/*
Chart label value: name-version.
*/}}
{{- define "chargeplane.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels every object carries. Call with (dict "ctx" $ "component" "operator").
*/}}
{{- define "chargeplane.labels" -}}
helm.sh/chart: {{ include "chargeplane.chart" .ctx }}
{{ include "chargeplane.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: chargeplane
{{- end }}

{{/*
Selector labels: identity only, never anything that changes on upgrade (selectors are immutable).
*/}}
{{- define "chargeplane.selectorLabels" -}}
app.kubernetes.io/name: {{ include "chargeplane.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Name of the operator's ServiceAccount.
*/}}
{{- define "chargeplane.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (printf "%s-operator" (include "chargeplane.fullname" .)) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The one image of every component.
*/}}
{{- define "chargeplane.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
Namespaces the operator watches (the release namespace unless told otherwise).
*/}}
{{- define "chargeplane.watchNamespaces" -}}
{{- if .Values.operator.watchNamespaces }}
{{- join "," .Values.operator.watchNamespaces }}
{{- else }}
{{- .Release.Namespace }}
{{- end }}
{{- end }}

{{/*
Secret holding the PostgreSQL URL: the bundled one, or the one the user names.
*/}}
{{- define "chargeplane.postgresSecret" -}}
{{- if .Values.postgresql.bundled }}
{{- printf "%s-postgresql" (include "chargeplane.fullname" .) }}
{{- else }}
{{- required "controlPlane.postgresUrlSecret.name is required unless postgresql.bundled=true" .Values.controlPlane.postgresUrlSecret.name }}
{{- end }}
{{- end }}

{{- define "chargeplane.redisSecret" -}}
{{- if .Values.redis.bundled }}
{{- printf "%s-redis" (include "chargeplane.fullname" .) }}
{{- else }}
{{- required "controlPlane.redisUrlSecret.name is required unless redis.bundled=true" .Values.controlPlane.redisUrlSecret.name }}
{{- end }}
{{- end }}

{{/*
A password that survives upgrades: reuse the one in the existing Secret, else generate.
Call with (dict "ctx" $ "secret" "name" "key" "password").
*/}}
{{- define "chargeplane.stablePassword" -}}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace .secret }}
{{- if and $existing (index $existing.data .key) }}
{{- index $existing.data .key | b64dec }}
{{- else }}
{{- randAlphaNum 32 }}
{{- end }}
{{- end }}

{{/*
Pod and container security settings shared by every pod of the chart.
*/}}
{{- define "chargeplane.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "chargeplane.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{/*
The operator's RBAC rules on our CRs and the children it writes.
*/}}
{{- define "chargeplane.operatorRules" -}}
- apiGroups: ["chargeplane.io"]
  resources: ["chargingsites", "chargepoints", "controlplanes"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["chargeplane.io"]
  resources: ["controlplanes"]
  verbs: ["create"]
- apiGroups: ["chargeplane.io"]
  resources: ["chargingsites/status", "chargepoints/status", "controlplanes/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["apps"]
  resources: ["statefulsets", "deployments"]
  verbs: ["get", "create", "patch"]
- apiGroups: [""]
  resources: ["services", "configmaps", "secrets"]
  verbs: ["get", "create", "patch"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses"]
  verbs: ["get", "create", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "create", "patch"]
- apiGroups: ["", "events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/*
The ControlPlane custom resource built from values.
*/}}
{{- define "chargeplane.controlPlane" -}}
apiVersion: chargeplane.io/v1alpha1
kind: ControlPlane
metadata:
  name: {{ .Values.controlPlane.name }}
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
    app.kubernetes.io/part-of: chargeplane
spec:
  image:
    repository: {{ .Values.image.repository }}
    tag: {{ default .Chart.AppVersion .Values.image.tag | quote }}
    pullPolicy: {{ .Values.image.pullPolicy }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  postgres:
    urlSecretRef:
      name: {{ include "chargeplane.postgresSecret" . }}
      key: {{ ternary "url" .Values.controlPlane.postgresUrlSecret.key .Values.postgresql.bundled }}
  redis:
    urlSecretRef:
      name: {{ include "chargeplane.redisSecret" . }}
      key: {{ ternary "url" .Values.controlPlane.redisUrlSecret.key .Values.redis.bundled }}
  bootPolicy: {{ .Values.controlPlane.bootPolicy }}
  logLevel: {{ .Values.controlPlane.logLevel }}
  ingress:
    enabled: {{ .Values.ingress.enabled }}
    {{- if .Values.ingress.enabled }}
    host: {{ required "ingress.host is required when ingress.enabled" .Values.ingress.host | quote }}
    {{- with .Values.ingress.className }}
    className: {{ . | quote }}
    {{- end }}
    {{- if .Values.ingress.tls.enabled }}
    tlsSecretName: {{ required "ingress.tls.secretName is required when ingress.tls.enabled" .Values.ingress.tls.secretName | quote }}
    {{- end }}
    {{- with .Values.ingress.annotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- end }}
  registry:
    replicas: {{ .Values.controlPlane.registry.replicas }}
    {{- with .Values.controlPlane.registry.resources }}
    resources:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  api:
    replicas: {{ .Values.controlPlane.api.replicas }}
    {{- with .Values.controlPlane.api.resources }}
    resources:
      {{- toYaml . | nindent 6 }}
    {{- end }}
{{- end }}

{{/*
Alerting rules (also checked with promtool by the chart tests).
*/}}
{{- define "chargeplane.alertRules" -}}
{{- $r := .Values.metrics.prometheusRule -}}
groups:
  - name: chargeplane.gateway
    rules:
      - alert: ChargeplaneGatewayDown
        expr: up{component="gateway"} == 0
        for: 5m
        labels:
          severity: critical
        annotations:
          summary: "Gateway shard {{`{{ $labels.pod }}`}} of site {{`{{ $labels.site }}`}} is down"
          description: "Prometheus cannot scrape the gateway pod for 5 minutes; its chargers must reconnect to other shards."
      - alert: ChargeplaneConnectionsDropped
        expr: |
          (
            sum by (site) (chargeplane_ocpp_connections offset 5m) - sum by (site) (chargeplane_ocpp_connections)
          ) / clamp_min(sum by (site) (chargeplane_ocpp_connections offset 5m), 1) > {{ $r.connectionDropRatio }}
        for: 2m
        labels:
          severity: warning
        annotations:
          summary: "Site {{`{{ $labels.site }}`}} lost {{`{{ $value | humanizePercentage }}`}} of its charger connections"
          description: "More chargers disconnected in 5 minutes than connectionDropRatio allows: network, ingress or gateway trouble."
      - alert: ChargeplaneCallErrorRateHigh
        expr: |
          sum by (site) (rate(chargeplane_ocpp_call_errors_total[5m]))
            / clamp_min(sum by (site) (rate(chargeplane_ocpp_messages_total{direction="in"}[5m])), 1e-9)
            > {{ $r.callErrorRatio }}
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: "Site {{`{{ $labels.site }}`}} answers {{`{{ $value | humanizePercentage }}`}} of charger CALLs with CALLERROR"
          description: "Chargers send messages the CSMS rejects: firmware incompatibility or a CSMS bug."
  - name: chargeplane.services
    rules:
      - alert: ChargeplaneConsumerLagHigh
        expr: max by (stream, group) (chargeplane_stream_pending_messages) > {{ $r.consumerLag }}
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: "Consumer group {{`{{ $labels.group }}`}} is {{`{{ $value }}`}} messages behind on {{`{{ $labels.stream }}`}}"
          description: "Meter values and status events wait in Redis instead of reaching PostgreSQL."
{{- end }}
