{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "muster.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "muster.labels" -}}
helm.sh/chart: {{ include "muster.chart" . }}
{{ include "muster.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels
*/}}
{{- define "muster.selectorLabels" -}}
app.kubernetes.io/name: "muster"
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ingress host, which Argo CD always sets.
*/}}
{{- define "muster.host" -}}
{{ required "global.host must be set" .Values.global.host | quote }}
{{- end }}

{{/*
The template part of a GafaelfawrIngress: one rule on the environment's host
sending one path to the muster service. Called with a dict holding the
chart context (root), the ingress name, path suffix and path type.
*/}}
{{- define "muster.ingressTemplate" -}}
template:
  metadata:
    name: {{ .name | quote }}
    {{- with .root.Values.ingress.annotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  spec:
    rules:
      - host: {{ include "muster.host" .root }}
        http:
          paths:
            - path: {{ printf "%s%s" (trimSuffix "/" .root.Values.config.pathPrefix) .path | default "/" | quote }}
              pathType: {{ .pathType | quote }}
              backend:
                service:
                  name: "muster"
                  port:
                    number: 8080
{{- end }}
