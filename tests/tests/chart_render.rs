//! Muster's Helm chart, linted and rendered by the real Helm engine
//! (helm-python-sdk): the resources must agree with each other and with the
//! deployment shape in `docs/compatibility.md`.

use muster_stack::ingress::{
    lint_chart, local_stack_values, parse_manifest, render_chart, DelegateKind, PathType, Scopes,
};
use serde_json::json;
use serde_yaml::Value;

fn render(values: serde_json::Value) -> Vec<Value> {
    let manifest = render_chart(&values).unwrap_or_else(|error| panic!("{error}"));
    serde_yaml::Deserializer::from_str(&manifest)
        .map(|document| serde::Deserialize::deserialize(document).expect("YAML document"))
        .filter(|value: &Value| !value.is_null())
        .collect()
}

fn resource<'a>(resources: &'a [Value], kind: &str, name: &str) -> &'a Value {
    resources
        .iter()
        .find(|r| r["kind"].as_str() == Some(kind) && r["metadata"]["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no {kind} {name} in the rendered chart"))
}

fn default_resources() -> Vec<Value> {
    render(json!({}))
}

#[test]
fn chart_lints_without_errors() {
    let report = lint_chart(&json!({})).unwrap_or_else(|error| panic!("{error}"));
    assert!(report.contains("1 chart(s) linted, 0 error(s)"), "{report}");
    let values = local_stack_values("localhost", "http://127.0.0.1:9/auth/api/v1");
    lint_chart(&values).unwrap_or_else(|error| panic!("{error}"));
}

#[test]
fn service_deployment_and_network_policy_agree() {
    let resources = default_resources();
    let deployment = resource(&resources, "Deployment", "muster");
    let service = resource(&resources, "Service", "muster");
    let policy = resource(&resources, "NetworkPolicy", "muster");
    let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];

    assert_eq!(&deployment["spec"]["selector"]["matchLabels"], pod_labels);
    assert_eq!(
        &service["spec"]["selector"], pod_labels,
        "Service must select the pods"
    );
    assert_eq!(&policy["spec"]["podSelector"]["matchLabels"], pod_labels);
    assert_eq!(
        pod_labels["app.kubernetes.io/name"].as_str(),
        Some("muster")
    );

    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let port = &container["ports"][0];
    assert_eq!(port["name"].as_str(), Some("http"));
    assert_eq!(port["containerPort"].as_u64(), Some(8080));
    let service_port = &service["spec"]["ports"][0];
    assert_eq!(service_port["name"].as_str(), Some("http"));
    assert_eq!(service_port["port"].as_u64(), Some(8080));
    assert_eq!(
        service_port["targetPort"], port["name"],
        "targetPort names the container port"
    );

    let rule = &policy["spec"]["ingress"][0];
    assert_eq!(
        rule["from"][0]["podSelector"]["matchLabels"]["gafaelfawr.lsst.io/ingress"].as_str(),
        Some("true")
    );
    assert_eq!(rule["ports"][0]["port"].as_u64(), Some(8080));
    assert_eq!(policy["spec"]["policyTypes"][0].as_str(), Some("Ingress"));
}

#[test]
fn deployment_is_locked_down_and_reads_the_config_map() {
    let resources = default_resources();
    let deployment = resource(&resources, "Deployment", "muster");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(pod["automountServiceAccountToken"].as_bool(), Some(false));
    assert_eq!(pod["securityContext"]["runAsUser"].as_u64(), Some(1000));
    assert_eq!(pod["securityContext"]["runAsNonRoot"].as_bool(), Some(true));
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(security["allowPrivilegeEscalation"].as_bool(), Some(false));
    assert_eq!(security["capabilities"]["drop"][0].as_str(), Some("all"));
    let probe = &container["readinessProbe"]["httpGet"];
    assert_eq!(probe["path"].as_str(), Some("/"));
    assert_eq!(probe["port"].as_str(), Some("http"));
    assert!(container["lifecycle"]["preStop"]["sleep"]["seconds"].as_u64() > Some(0));
    assert_eq!(
        container["image"].as_str(),
        Some("ghcr.io/lsst-sqre/muster:0.1.0")
    );

    let config_map_name = container["envFrom"][0]["configMapRef"]["name"].as_str();
    assert_eq!(config_map_name, Some("muster"));
    let config_map = resource(&resources, "ConfigMap", "muster");
    let data = &config_map["data"];
    assert_eq!(data["MUSTER_LOG_PROFILE"].as_str(), Some("production"));
    assert_eq!(data["MUSTER_LOG_LEVEL"].as_str(), Some("INFO"));
    assert_eq!(data["MUSTER_PATH_PREFIX"].as_str(), Some("/muster"));
    assert!(data["REPERTOIRE_BASE_URL"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://")));
    assert!(data.get("MUSTER_GAFAELFAWR_URL").is_none());
}

#[test]
fn values_set_image_tag_and_gafaelfawr_url() {
    let resources = render(json!({
        "image": {"tag": "1.2.3"},
        "config": {"gafaelfawrUrl": "http://gafaelfawr.gafaelfawr:8080"},
        "global": {"repertoireUrl": null},
    }));
    let deployment = resource(&resources, "Deployment", "muster");
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["image"].as_str(),
        Some("ghcr.io/lsst-sqre/muster:1.2.3")
    );
    let data = &resource(&resources, "ConfigMap", "muster")["data"];
    assert_eq!(
        data["MUSTER_GAFAELFAWR_URL"].as_str(),
        Some("http://gafaelfawr.gafaelfawr:8080")
    );
    assert!(data.get("REPERTOIRE_BASE_URL").is_none());
}

#[test]
fn gafaelfawr_timeouts_are_values() {
    let data = &resource(&default_resources(), "ConfigMap", "muster")["data"].clone();
    assert!(data.get("MUSTER_GAFAELFAWR_TIMEOUT").is_none());
    let resources = render(json!({
        "config": {"gafaelfawrConnectTimeout": 1.5, "gafaelfawrTimeout": 10},
    }));
    let data = &resource(&resources, "ConfigMap", "muster")["data"];
    assert_eq!(
        data["MUSTER_GAFAELFAWR_CONNECT_TIMEOUT"].as_str(),
        Some("1.5")
    );
    assert_eq!(data["MUSTER_GAFAELFAWR_TIMEOUT"].as_str(), Some("10"));
}

#[test]
fn slack_alerts_read_the_webhook_from_the_vault_secret() {
    let resources = default_resources();
    assert!(!resources.iter().any(|r| r["kind"] == "VaultSecret"));
    let container =
        &resource(&resources, "Deployment", "muster")["spec"]["template"]["spec"]["containers"][0];
    assert!(container.get("env").is_none(), "{container:?}");

    let resources = render(json!({"config": {"slackAlerts": true}}));
    let secret = resource(&resources, "VaultSecret", "muster");
    assert_eq!(
        secret["spec"]["path"].as_str(),
        Some("secret/phalanx/example/muster")
    );
    let env = &resource(&resources, "Deployment", "muster")["spec"]["template"]["spec"]
        ["containers"][0]["env"][0];
    assert_eq!(env["name"].as_str(), Some("MUSTER_SLACK_WEBHOOK"));
    let key = &env["valueFrom"]["secretKeyRef"];
    assert_eq!(key["name"], secret["metadata"]["name"]);
    assert_eq!(key["key"].as_str(), Some("slack-webhook"));
    let secrets: Value = serde_yaml::from_str(
        &std::fs::read_to_string(muster_stack::ingress::chart_dir().join("secrets.yaml"))
            .expect("chart/secrets.yaml"),
    )
    .expect("chart/secrets.yaml is YAML");
    assert_eq!(
        secrets["slack-webhook"]["if"].as_str(),
        Some("config.slackAlerts")
    );

    let error = render_chart(&json!({
        "config": {"slackAlerts": true},
        "global": {"vaultSecretsPath": null},
    }))
    .unwrap_err();
    assert!(
        error.contains("global.vaultSecretsPath must be set"),
        "{error}"
    );
    lint_chart(&json!({"config": {"slackAlerts": true}})).unwrap_or_else(|error| panic!("{error}"));
}

#[test]
fn a_root_path_prefix_is_refused_when_rendering() {
    // The server refuses "/" at start: the chart says so before a pod
    // crash-loops.
    for prefix in ["/", ""] {
        let error = render_chart(&json!({"config": {"pathPrefix": prefix}})).unwrap_err();
        assert!(
            error.contains("config.pathPrefix must not be /"),
            "{prefix:?}: {error}"
        );
    }
}

#[test]
fn rendering_fails_clearly_without_host_or_gafaelfawr() {
    let error = render_chart(&json!({"global": {"host": null}})).unwrap_err();
    assert!(error.contains("global.host must be set"), "{error}");
    let error = render_chart(&json!({"global": {"repertoireUrl": null}})).unwrap_err();
    assert!(error.contains("config.gafaelfawrUrl"), "{error}");
}

#[test]
fn seven_ingresses_follow_the_deployment_shape() {
    let manifest = render_chart(&json!({})).unwrap_or_else(|error| panic!("{error}"));
    let ingresses = parse_manifest(&manifest).unwrap_or_else(|error| panic!("{error}"));
    let expected = [
        ("muster-anonymous", "/muster", PathType::Prefix),
        ("muster-auth", "/muster/auth/fail", PathType::Exact),
        ("muster-redirect", "/muster/auth/redirect", PathType::Exact),
        ("muster-quota", "/muster/auth/quota", PathType::Exact),
        ("muster-auth-cached", "/muster/auth/cached", PathType::Exact),
        (
            "muster-delegate",
            "/muster/delegated/header",
            PathType::Prefix,
        ),
        (
            "muster-authorization",
            "/muster/delegated/authorization",
            PathType::Prefix,
        ),
    ];
    assert_eq!(ingresses.len(), expected.len());
    for (name, path, path_type) in expected {
        let ingress = ingresses
            .iter()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("no GafaelfawrIngress {name}"));
        assert_eq!(ingress.template.metadata.name, name);
        let rules = &ingress.template.spec.rules;
        assert_eq!(rules.len(), 1, "{name}");
        assert_eq!(
            rules[0].host.as_deref(),
            Some("phalanx.example.com"),
            "{name}"
        );
        let paths = &rules[0].http.paths;
        assert_eq!(paths.len(), 1, "{name}");
        assert_eq!(paths[0].path, path, "{name}");
        assert_eq!(paths[0].path_type, path_type, "{name}");
        assert_eq!(paths[0].backend.service.name, "muster", "{name}");
        assert_eq!(paths[0].backend.service.port.number, 8080, "{name}");

        let config = &ingress.config;
        if name == "muster-anonymous" {
            assert_eq!(config.scopes, Scopes::Anonymous);
            continue;
        }
        assert_eq!(
            config.scopes,
            Scopes::All(vec!["read:image".into()]),
            "{name}"
        );
        let service = if name == "muster-quota" {
            "muster-quota"
        } else {
            "muster"
        };
        assert_eq!(config.service.as_deref(), Some(service), "{name}");
        assert_eq!(config.login_redirect, name == "muster-redirect", "{name}");
        let cache = (name == "muster-auth-cached").then_some("5m");
        assert_eq!(config.auth_cache_duration.as_deref(), cache, "{name}");
        match name {
            "muster-delegate" | "muster-authorization" => {
                let delegate = config.delegate.as_ref().expect("delegation");
                assert_eq!(
                    delegate.kind,
                    DelegateKind::Internal {
                        service: "muster".into(),
                        scopes: vec![]
                    }
                );
                assert_eq!(delegate.use_authorization, name == "muster-authorization");
                assert_eq!(delegate.minimum_lifetime, None);
            }
            _ => assert_eq!(config.delegate, None, "{name}"),
        }
    }
}

#[test]
fn scope_and_path_prefix_are_values() {
    let manifest = render_chart(&json!({
        "config": {"scope": "exec:admin", "pathPrefix": "/check/"},
    }))
    .unwrap_or_else(|error| panic!("{error}"));
    let ingresses = parse_manifest(&manifest).unwrap_or_else(|error| panic!("{error}"));
    for ingress in &ingresses {
        let path = &ingress.template.spec.rules[0].http.paths[0].path;
        assert!(path.starts_with("/check"), "{}: {path}", ingress.name);
        assert!(!path.contains("//"), "{}: {path}", ingress.name);
        if ingress.config.scopes != Scopes::Anonymous {
            assert_eq!(
                ingress.config.scopes,
                Scopes::All(vec!["exec:admin".into()])
            );
        }
    }
}
