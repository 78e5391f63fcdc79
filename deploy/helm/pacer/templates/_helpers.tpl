{{/* Names, labels and small derived values shared by every template of the pacer chart. */}}

{{- define "pacer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: "pacer" for a release named pacer (so `kubectl exec ds/pacer` works). */}}
{{- define "pacer.fullname" -}}
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

{{- define "pacer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pacer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "pacer.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "pacer.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: agent
{{- end }}

{{- define "pacer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pacer.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "pacer.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* host:port for --metrics-address; "" when metrics are off (the agent then serves no HTTP at all). */}}
{{- define "pacer.metricsAddress" -}}
{{- if .Values.metrics.enabled }}
{{- printf "%s:%d" .Values.metrics.bindAddress (int .Values.metrics.port) }}
{{- end }}
{{- end }}

{{/*
The agent's flags, one per line, from the values (the configuration contract: flags > env > file >
defaults). Paths are the container's side of the mounts in daemonset.yaml, always the contract's defaults,
so `kubectl exec ds/pacer -- pacer status` needs no --socket.
Booleans are always explicit (--enabled=false), --bbr appears only when on, --flow-isolation=false only
when off, --devices and --internal-cidrs only when set.
*/}}
{{- define "pacer.agentArgs" -}}
- agent
- --enabled={{ .Values.bandwidthManager.enabled }}
{{- if .Values.bandwidthManager.bbr }}
- --bbr
{{- end }}
{{- if not .Values.bandwidthManager.flowIsolation }}
- --flow-isolation=false
{{- end }}
- --horizon={{ .Values.bandwidthManager.horizon }}
- --resync-interval={{ .Values.bandwidthManager.resyncInterval }}
{{- with .Values.devices }}
- --devices={{ join "," . }}
{{- end }}
{{- with .Values.internalCidrs }}
- --internal-cidrs={{ join "," . }}
{{- end }}
- --metrics-address={{ include "pacer.metricsAddress" . }}
- --socket=/run/pacer/pacer.sock
- --state-dir=/run/pacer
- --bpffs-dir=/sys/fs/bpf/pacer
- --netns-dir=/var/run/netns
{{- range .Values.extraArgs }}
- {{ . }}
{{- end }}
{{- end }}

{{/* Liveness/readiness: HTTP on the node's loopback when metrics are on, else the status socket answering. */}}
{{- define "pacer.probe" -}}
{{- if .root.Values.metrics.enabled }}
httpGet:
  host: 127.0.0.1
  path: {{ .path }}
  port: {{ .root.Values.metrics.port }}
  scheme: HTTP
{{- else }}
exec:
  # `pacer status` exits 0 (enabled) or 3 (Disabled, with its reason): both mean the agent answers.
  command: ["sh", "-c", "pacer status >/dev/null; case $? in 0|3) exit 0 ;; *) exit 1 ;; esac"]
{{- end }}
{{- end }}
