{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "edgewatch.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name. */}}
{{- define "edgewatch.fullname" -}}
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

{{- define "edgewatch.selectorLabels" -}}
app.kubernetes.io/name: {{ include "edgewatch.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "edgewatch.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "edgewatch.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "edgewatch.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "edgewatch.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "edgewatch.secretName" -}}
{{- default (include "edgewatch.fullname" .) .Values.existingSecret }}
{{- end }}

{{/* The port of a host:port listen address ("0.0.0.0:4317" → 4317, "[::]:4317" → 4317). */}}
{{- define "edgewatch.port" -}}
{{- splitList ":" . | last }}
{{- end }}

{{/* True (non-empty) when the baseline is a SQLite file: one pod, Recreate, a /data volume. */}}
{{- define "edgewatch.sqlite" -}}
{{- if hasPrefix "sqlite:" (toString .Values.config.store) }}true{{ end }}
{{- end }}

{{/* The config file: values' `config` without nulls (null = the built-in default). */}}
{{- define "edgewatch.configFile" -}}
{{- $cfg := dict }}
{{- range $key, $value := .Values.config }}
{{- if not (kindIs "invalid" $value) }}
{{- $_ := set $cfg $key $value }}
{{- end }}
{{- end }}
{{- toYaml $cfg }}
{{- end }}
