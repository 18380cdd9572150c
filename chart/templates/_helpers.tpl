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

{{/*
The arguments that point muster-check at this environment: Muster's public
URL, the two token files (see muster-check.tokenMounts) and the route scope.
The PostSync hook and the monitor pass the same ones. Needs the chart
context; `purpose` names the feature in the error when global.baseUrl is
unset.
*/}}
{{- define "muster-check.targetArgs" -}}
- "--url"
- {{ printf "%s%s" (trimSuffix "/" (required (printf "global.baseUrl must be set when %s is true" .purpose) .root.Values.global.baseUrl)) .root.Values.config.pathPrefix | quote }}
- "--token-file"
- "/etc/muster-check/token/token"
- "--no-scope-token-file"
- "/etc/muster-check/no-scope-token/token"
- "--scope"
- {{ .root.Values.config.scope | quote }}
{{- end }}

{{/*
Where the two GafaelfawrServiceToken Secrets are mounted. Whole-Secret
volumes, never subPath: the kubelet then replaces the files when
Gafaelfawr's operator rotates a token, and muster-check reads them anew.
*/}}
{{- define "muster-check.tokenMounts" -}}
- name: "token"
  mountPath: "/etc/muster-check/token"
  readOnly: true
- name: "no-scope-token"
  mountPath: "/etc/muster-check/no-scope-token"
  readOnly: true
{{- end }}

{{/*
The volumes behind muster-check.tokenMounts.
*/}}
{{- define "muster-check.tokenVolumes" -}}
- name: "token"
  secret:
    secretName: "muster-check"
- name: "no-scope-token"
  secret:
    secretName: "muster-check-no-scope"
{{- end }}

{{/*
Pod and container security shared by every pod of the chart: uid 1000, no
privilege escalation, every capability dropped, a read-only root.
*/}}
{{- define "muster.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
{{- end }}

{{- define "muster.containerSecurityContext" -}}
allowPrivilegeEscalation: false
capabilities:
  drop:
    - "all"
readOnlyRootFilesystem: true
{{- end }}

{{/*
Selector labels of the monitor's pod: not Muster's, so that neither
Muster's Service nor its NetworkPolicy selects it.
*/}}
{{- define "muster-monitor.selectorLabels" -}}
app.kubernetes.io/name: "muster-monitor"
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
