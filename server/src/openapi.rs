//! `{prefix}/openapi.json`: an OpenAPI 3.1 description of the JSON routes
//! in both representations, written by hand from the `muster_report` types
//! (enumerations are generated from them so they cannot drift).

use axum::extract::State;
use axum::response::Response;
use axum::Json;
use muster_report::model::{Component, Route, Status};
use muster_report::received::catalogue::SERVER_CHECKS;
use serde_json::{json, Value};

use crate::metadata::no_store;
use crate::negotiate::REPORT_MEDIA_TYPE;
use crate::state::AppState;

/// `GET {prefix}/openapi.json`.
pub async fn openapi(State(state): State<AppState>) -> Response {
    no_store(Json(document(
        &state.config.path_prefix,
        &state.metadata.version,
    )))
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The responses every check route shares: the upstream body or the report
/// on 200, FastAPI's validation error on 422, a failed check on 500.
fn check_responses(upstream_schema: &str, with_validation: bool) -> Value {
    let mut responses = json!({
        "200": {
            "description": "Upstream representation: every check upstream knows passed. \
                            Report representation (`?report=true` or the vendor media type): \
                            always 200, whatever the verdict.",
            "content": {
                "application/json": { "schema": { "oneOf": [schema_ref(upstream_schema), schema_ref("RouteReport")] } },
                REPORT_MEDIA_TYPE: { "schema": schema_ref("RouteReport") },
                "text/html": { "schema": { "type": "string", "description": "The app's shell, when the client prefers HTML." } }
            }
        },
        "500": {
            "description": "Upstream representation: a check failed.",
            "content": { "application/json": { "schema": schema_ref("CheckFailure") } }
        }
    });
    if with_validation {
        responses["422"] = json!({
            "description": "A required header is missing or not UTF-8, or the mode is unknown (FastAPI's validation error).",
            "content": { "application/json": { "schema": schema_ref("HTTPValidationError") } }
        });
    }
    responses
}

fn report_parameter() -> Value {
    json!({
        "name": "report", "in": "query", "required": false,
        "description": "`true` asks for the full report (HTTP 200, the RouteReport schema) instead of the upstream-compatible body.",
        "schema": { "type": "boolean" }
    })
}

fn mode_parameter(modes: &[&str]) -> Value {
    json!({ "name": "mode", "in": "path", "required": true, "schema": { "type": "string", "enum": modes } })
}

/// The whole document for a server mounted at `prefix`.
pub fn document(prefix: &str, version: &str) -> Value {
    let statuses: Vec<&str> = Status::ALL.iter().map(|status| status.as_str()).collect();
    let components: Vec<Value> = Component::ALL
        .iter()
        .map(|component| serde_json::to_value(component).unwrap_or(Value::Null))
        .collect();
    let routes: Vec<&str> = Route::ALL.iter().map(|route| route.path()).collect();
    let check_ids: Vec<&str> = SERVER_CHECKS
        .iter()
        .map(|check| check.description.id)
        .collect();
    let optional_string = json!({ "type": "string" });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Muster",
            "version": version,
            "description": "Checks that a Phalanx environment's ingress, authentication and delegation work. \
                            Every check route has three representations: the upstream-compatible JSON of the \
                            Python Muster service (default), the full report (`?report=true` or \
                            `Accept: application/vnd.muster.report+json`), and the app's HTML shell for browsers."
        },
        "paths": {
            "/": {
                "get": {
                    "summary": "Health: service metadata (internal, no prefix)",
                    "responses": { "200": { "description": "Metadata", "content": { "application/json": { "schema": schema_ref("Metadata") } } } }
                }
            },
            format!("{prefix}/"): {
                "get": {
                    "summary": "Metadata and the absolute URL of every route",
                    "parameters": [report_parameter()],
                    "responses": { "200": { "description": "Index; its report representation adds vault_secret, tls_certificate and tls_certificate_check",
                        "content": {
                            "application/json": { "schema": { "oneOf": [schema_ref("Index"), schema_ref("IndexReport")] } },
                            REPORT_MEDIA_TYPE: { "schema": schema_ref("IndexReport") }
                        } } }
                }
            },
            format!("{prefix}/anonymous"): {
                "get": {
                    "summary": "Behind an anonymous ingress: no credentials may reach Muster",
                    "parameters": [report_parameter()],
                    "responses": check_responses("MusterResult", false)
                }
            },
            format!("{prefix}/auth/{{mode}}"): {
                "get": {
                    "summary": "Behind an authenticated ingress: the username arrives, the token does not",
                    "parameters": [mode_parameter(&["fail", "redirect", "quota", "cached"]), report_parameter()],
                    "responses": check_responses("AuthInfo", true)
                }
            },
            format!("{prefix}/delegated/{{mode}}"): {
                "get": {
                    "summary": "Behind a delegating ingress: the delegated token works with Gafaelfawr's user-info and token-info",
                    "parameters": [mode_parameter(&["header", "authorization"]), report_parameter()],
                    "responses": check_responses("UserInfo", true)
                }
            },
            format!("{prefix}/openapi.json"): {
                "get": { "summary": "This document", "responses": { "200": { "description": "OpenAPI 3.1" } } }
            }
        },
        "components": { "schemas": {
            "Metadata": {
                "type": "object", "required": ["name", "version", "description"],
                "properties": { "name": optional_string, "version": optional_string, "description": optional_string,
                                "repository_url": optional_string, "documentation_url": optional_string }
            },
            "Index": {
                "type": "object",
                "required": ["metadata", "anonymous_url", "auth_required_url", "auth_redirect_url", "auth_quota_url",
                             "auth_cached_url", "delegated_url", "authorization_url"],
                "properties": {
                    "metadata": schema_ref("Metadata"),
                    "anonymous_url": optional_string, "auth_required_url": optional_string, "auth_redirect_url": optional_string,
                    "auth_quota_url": optional_string, "auth_cached_url": optional_string, "delegated_url": optional_string,
                    "authorization_url": optional_string
                }
            },
            "IndexReport": {
                "allOf": [schema_ref("Index"), {
                    "type": "object", "required": ["vault_secret", "tls_certificate"],
                    "properties": { "vault_secret": schema_ref("VaultSecret"), "tls_certificate": schema_ref("TlsCertificate"),
                                    "tls_certificate_check": schema_ref("Check") }
                }]
            },
            "TlsCertificate": {
                "type": "object", "required": ["state"],
                "description": "The certificate the host of MUSTER_BASE_URL presents, read at most every few minutes: public facts only.",
                "properties": {
                    "state": { "type": "string", "enum": ["presented", "unreachable", "not_https", "not_configured"] },
                    "host": { "type": "string", "description": "host:port, when presented or unreachable" },
                    "issuer": optional_string, "not_after": optional_string,
                    "subject_names": { "type": "array", "items": { "type": "string" } },
                    "seconds_left": { "type": "integer", "description": "Until expiry; negative once expired" },
                    "trusted": { "type": "boolean" }, "trust_problem": optional_string, "names_host": { "type": "boolean" },
                    "error": optional_string, "base_url": optional_string
                }
            },
            "VaultSecret": {
                "type": "object", "required": ["state"],
                "description": "The secret Vault delivers to Muster (MUSTER_VAULT_SECRET_FILE): its presence, length and age, never its value.",
                "properties": {
                    "state": { "type": "string", "enum": ["present", "empty", "missing", "unreadable", "not_configured"] },
                    "length": { "type": "integer", "description": "Bytes, when present" },
                    "age_seconds": { "type": "integer", "description": "Seconds since the file last changed, when present" }
                }
            },
            "MusterResult": { "type": "object", "required": ["ok"], "properties": { "ok": { "type": "boolean", "const": true } } },
            "AuthInfo": {
                "type": "object", "required": ["username"], "additionalProperties": false,
                "properties": { "username": optional_string, "email": optional_string }
            },
            "Group": { "type": "object", "required": ["name"], "properties": { "name": optional_string, "id": { "type": "integer" } } },
            "UserInfo": {
                "type": "object", "required": ["username"], "additionalProperties": false,
                "description": "Gafaelfawr's user-info: absent fields left out, groups left out when empty, never the quota.",
                "properties": {
                    "username": optional_string, "email": optional_string, "name": optional_string,
                    "uid": { "type": "integer" }, "gid": { "type": "integer" },
                    "groups": { "type": "array", "items": schema_ref("Group") }
                }
            },
            "CheckFailure": {
                "type": "object", "required": ["detail"],
                "properties": { "detail": { "type": "array", "items": {
                    "type": "object", "required": ["msg", "type"],
                    "properties": {
                        "loc": { "type": "array", "items": { "type": "string" }, "description": "[\"header\", <Name>]; absent for gafaelfawr_data and Gafaelfawr errors" },
                        "msg": optional_string,
                        "type": { "type": "string", "enum": ["unexpected_header", "unexpected_cookie", "missing_header",
                                   "incorrect_header", "gafaelfawr_data", "gafaelfawr_error", "configuration_error"] }
                    }
                } } }
            },
            "HTTPValidationError": {
                "type": "object", "required": ["detail"],
                "properties": { "detail": { "type": "array", "items": {
                    "type": "object", "required": ["type", "loc", "msg", "input"],
                    "properties": {
                        "type": { "type": "string", "enum": ["missing", "string_unicode", "literal_error"] },
                        "loc": { "type": "array", "items": { "type": "string" } },
                        "msg": optional_string,
                        "input": { "type": ["string", "null"] },
                        "ctx": { "type": "object", "properties": { "expected": optional_string } }
                    }
                } } }
            },
            "Status": { "type": "string", "enum": statuses },
            "Component": { "type": "string", "enum": components },
            "Route": { "type": "string", "enum": routes },
            "Evidence": {
                "type": "object", "required": ["name", "value"],
                "properties": { "name": optional_string, "value": { "type": "string", "description": "Redacted: tokens and cookies appear only as fingerprints." } }
            },
            "Fix": {
                "type": "object", "required": ["component", "hint"],
                "properties": { "component": schema_ref("Component"), "hint": optional_string }
            },
            "Check": {
                "type": "object", "required": ["id", "title", "proves", "status", "observed", "evidence"],
                "properties": {
                    "id": { "type": "string", "examples": check_ids },
                    "title": optional_string, "proves": optional_string, "status": schema_ref("Status"),
                    "observed": optional_string,
                    "evidence": { "type": "array", "items": schema_ref("Evidence") },
                    "fix": schema_ref("Fix")
                }
            },
            "RouteReport": {
                "type": "object", "required": ["route", "status", "checks", "muster_version", "vault_secret", "tls_certificate"],
                "properties": {
                    "vault_secret": schema_ref("VaultSecret"),
                    "tls_certificate": schema_ref("TlsCertificate"),
                    "tls_certificate_check": schema_ref("Check"),
                    "route": schema_ref("Route"),
                    "status": { "$ref": "#/components/schemas/Status", "description": "fail if any check fails, else warn if any warns, else pass; skips ignored" },
                    "checks": { "type": "array", "items": schema_ref("Check") },
                    "muster_version": optional_string
                }
            }
        } }
    })
}
