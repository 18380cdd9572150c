//! Muster's Helm chart, linted and rendered by the real Helm engine
//! (helm-python-sdk): the resources must agree with each other and with the
//! deployment shape in `docs/compatibility.md`.

use muster_stack::ingress::{
    lint_chart, local_stack_values, parse_manifest, render_chart, DelegateKind, PathType, Scopes,
};
use serde_json::json;
use yaml_serde::Value;

fn render(values: serde_json::Value) -> Vec<Value> {
    let manifest = render_chart(&values).unwrap_or_else(|error| panic!("{error}"));
    yaml_serde::Deserializer::from_str(&manifest)
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
    // The certificate Muster reports is its environment's, from Phalanx.
    assert!(data["MUSTER_BASE_URL"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://")));
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
fn connection_cap_is_a_value() {
    let data = &resource(&default_resources(), "ConfigMap", "muster")["data"].clone();
    assert!(data.get("MUSTER_MAX_CONNECTIONS").is_none());
    let resources = render(json!({"config": {"maxConnections": 64}}));
    let data = &resource(&resources, "ConfigMap", "muster")["data"];
    assert_eq!(data["MUSTER_MAX_CONNECTIONS"].as_str(), Some("64"));
}

#[test]
fn slack_alerts_read_the_webhook_from_the_vault_secret() {
    let resources = default_resources();
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
    let secrets: Value = yaml_serde::from_str(
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
    // The VaultSecret always renders (it carries vault-check), so the
    // path is needed whatever config.slackAlerts says.
    let error = render_chart(&json!({"global": {"vaultSecretsPath": null}})).unwrap_err();
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

/// The kinds only the PostSync hook adds.
const HOOK_KINDS: [&str; 5] = [
    "Job",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "GafaelfawrServiceToken",
];

#[test]
fn the_post_sync_check_renders_nothing_when_disabled() {
    let resources = default_resources();
    for kind in HOOK_KINDS {
        assert!(
            !resources.iter().any(|r| r["kind"].as_str() == Some(kind)),
            "{kind} rendered without postSyncCheck.enabled"
        );
    }
}

#[test]
fn the_post_sync_check_is_a_hook_job_with_its_tokens_and_a_read_only_role() {
    let values = json!({"postSyncCheck": {"enabled": true}});
    lint_chart(&values).unwrap_or_else(|error| panic!("{error}"));
    let resources = render(values);

    let job = resource(&resources, "Job", "muster-check");
    let annotations = &job["metadata"]["annotations"];
    assert_eq!(
        annotations["argocd.argoproj.io/hook"].as_str(),
        Some("PostSync")
    );
    assert_eq!(
        annotations["argocd.argoproj.io/hook-delete-policy"].as_str(),
        Some("BeforeHookCreation")
    );
    assert_eq!(job["spec"]["backoffLimit"].as_u64(), Some(0));
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"].as_str(), Some("Never"));
    assert_eq!(pod["serviceAccountName"].as_str(), Some("muster-check"));

    // The same pod security as Muster's Deployment.
    let deployment_pod = &resource(&resources, "Deployment", "muster")["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"], deployment_pod["securityContext"]);
    let container = &pod["containers"][0];
    assert_eq!(
        container["securityContext"],
        deployment_pod["containers"][0]["securityContext"]
    );
    assert_eq!(container["image"], deployment_pod["containers"][0]["image"]);
    // Not selected by Muster's NetworkPolicy, which admits only the ingress.
    assert_eq!(
        job["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"].as_str(),
        Some("muster-check")
    );

    // Arguments: the public URL with the prefix, the token files where
    // the tokens' Secrets are mounted, the Argo CD source and the wait.
    let args: Vec<&str> = container["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("string argument"))
        .collect();
    let after = |flag: &str| {
        let at = args
            .iter()
            .position(|a| *a == flag)
            .unwrap_or_else(|| panic!("{flag} in {args:?}"));
        args[at + 1]
    };
    assert_eq!(
        container["command"][0].as_str(),
        Some("/usr/local/bin/muster-check")
    );
    assert!(after("--url").ends_with("/muster"), "{args:?}");
    assert!(after("--url").starts_with("https://"), "{args:?}");
    assert_eq!(after("--argocd"), "kubernetes");
    assert_eq!(after("--argocd-namespace"), "argocd");
    assert_eq!(
        after("--argocd-selector"),
        "argocd.argoproj.io/instance=science-platform"
    );
    assert_eq!(after("--wait"), "10m");
    assert_eq!(after("--scope"), "read:image");
    let mounts = container["volumeMounts"].as_sequence().expect("mounts");
    let volumes = pod["volumes"].as_sequence().expect("volumes");
    for (flag, token) in [
        ("--token-file", "muster-check"),
        ("--no-scope-token-file", "muster-check-no-scope"),
    ] {
        let file = after(flag);
        let mount = mounts
            .iter()
            .find(|m| file.starts_with(m["mountPath"].as_str().unwrap_or("?")))
            .unwrap_or_else(|| panic!("{file} is not under a mount"));
        assert_eq!(mount["readOnly"].as_bool(), Some(true));
        let volume = volumes
            .iter()
            .find(|v| v["name"] == mount["name"])
            .expect("the mount's volume");
        assert_eq!(volume["secret"]["secretName"].as_str(), Some(token));
        assert!(
            file.ends_with("/token"),
            "Gafaelfawr writes the key `token`"
        );
        let service_token = resource(&resources, "GafaelfawrServiceToken", token);
        let service = service_token["spec"]["service"].as_str().unwrap_or("");
        assert!(service.starts_with("bot-"), "{service}");
    }
    let scoped = resource(&resources, "GafaelfawrServiceToken", "muster-check");
    assert_eq!(scoped["spec"]["scopes"][0].as_str(), Some("read:image"));
    let unscoped = resource(
        &resources,
        "GafaelfawrServiceToken",
        "muster-check-no-scope",
    );
    assert_eq!(
        unscoped["spec"]["scopes"].as_sequence().map(Vec::len),
        Some(0)
    );

    // The Role may only get and list Argo CD's Applications, in Argo CD's
    // namespace, and is bound to the hook's ServiceAccount.
    resource(&resources, "ServiceAccount", "muster-check");
    let role = resource(&resources, "Role", "muster-check");
    assert_eq!(role["metadata"]["namespace"].as_str(), Some("argocd"));
    let rules = role["rules"].as_sequence().expect("rules");
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["apiGroups"][0].as_str(), Some("argoproj.io"));
    assert_eq!(rules[0]["resources"].as_sequence().map(Vec::len), Some(1));
    assert_eq!(rules[0]["resources"][0].as_str(), Some("applications"));
    let verbs: Vec<&str> = rules[0]["verbs"]
        .as_sequence()
        .expect("verbs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(verbs, ["get", "list"]);
    let binding = resource(&resources, "RoleBinding", "muster-check");
    assert_eq!(binding["metadata"]["namespace"].as_str(), Some("argocd"));
    assert_eq!(binding["roleRef"]["name"].as_str(), Some("muster-check"));
    assert_eq!(
        binding["subjects"][0]["name"].as_str(),
        Some("muster-check")
    );
}

#[test]
fn the_post_sync_check_follows_its_values() {
    let resources = render(json!({"postSyncCheck": {
        "enabled": true,
        "argocdNamespace": "gitops",
        "argocdSelector": "",
        "wait": "3m",
        "format": "junit",
    }}));
    let args = &resource(&resources, "Job", "muster-check")["spec"]["template"]["spec"]
        ["containers"][0]["args"];
    let args: Vec<&str> = args
        .as_sequence()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(!args.contains(&"--argocd-selector"), "{args:?}");
    assert!(args
        .windows(2)
        .any(|w| w == ["--argocd-namespace", "gitops"]));
    assert!(args.windows(2).any(|w| w == ["--wait", "3m"]));
    assert!(args.windows(2).any(|w| w == ["--format", "junit"]));
    assert_eq!(
        resource(&resources, "Role", "muster-check")["metadata"]["namespace"].as_str(),
        Some("gitops")
    );
}

/// The arguments of `container` as strings.
fn args_of(container: &Value) -> Vec<&str> {
    container["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("string argument"))
        .collect()
}

/// The value following `flag` in `args`.
fn after<'a>(args: &[&'a str], flag: &str) -> &'a str {
    let at = args
        .iter()
        .position(|a| *a == flag)
        .unwrap_or_else(|| panic!("{flag} in {args:?}"));
    args[at + 1]
}

/// The read-only mount of `pod`'s container that `file` lies under, and
/// the Secret volume behind it: `(secretName, the key's item if listed)`.
fn secret_behind<'a>(pod: &'a Value, file: &str) -> (&'a str, Option<&'a Value>) {
    let container = &pod["containers"][0];
    let mount = container["volumeMounts"]
        .as_sequence()
        .expect("mounts")
        .iter()
        .find(|m| {
            m["mountPath"]
                .as_str()
                .is_some_and(|dir| file.starts_with(&format!("{dir}/")))
        })
        .unwrap_or_else(|| panic!("{file} is not under a mount"));
    assert_eq!(mount["readOnly"].as_bool(), Some(true), "{file}");
    let volume = pod["volumes"]
        .as_sequence()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == mount["name"])
        .expect("the mount's volume");
    let name = file.rsplit('/').next().unwrap_or("");
    let item = volume["secret"]["items"]
        .as_sequence()
        .and_then(|items| items.iter().find(|i| i["path"].as_str() == Some(name)));
    (
        volume["secret"]["secretName"]
            .as_str()
            .expect("a Secret volume"),
        item,
    )
}

#[test]
fn the_vault_secret_always_renders_and_reaches_muster_as_a_file() {
    let resources = default_resources();
    let vault_secret = resource(&resources, "VaultSecret", "muster");
    assert_eq!(
        vault_secret["spec"]["path"].as_str(),
        Some("secret/phalanx/example/muster")
    );
    // Phalanx's secrets.yaml: a generated password, unconditionally.
    let secrets: Value = yaml_serde::from_str(
        &std::fs::read_to_string(muster_stack::ingress::chart_dir().join("secrets.yaml"))
            .expect("chart/secrets.yaml"),
    )
    .expect("chart/secrets.yaml is YAML");
    let generated = &secrets["vault-check"];
    assert_eq!(generated["generate"]["type"].as_str(), Some("password"));
    assert!(generated.get("if").is_none() && generated["generate"].get("if").is_none());
    assert!(generated["description"]
        .as_str()
        .is_some_and(|d| d.len() > 40));

    // The server is told where the key is mounted, and it is mounted there
    // from the VaultSecret's Secret, optionally so that a missing Secret is
    // Muster's failing row, not a pod that never starts.
    let file = resource(&resources, "ConfigMap", "muster")["data"]["MUSTER_VAULT_SECRET_FILE"]
        .as_str()
        .expect("MUSTER_VAULT_SECRET_FILE");
    let pod = &resource(&resources, "Deployment", "muster")["spec"]["template"]["spec"];
    let (secret, item) = secret_behind(pod, file);
    assert_eq!(Some(secret), vault_secret["metadata"]["name"].as_str());
    assert_eq!(
        item.expect("the key is listed")["key"].as_str(),
        Some("vault-check")
    );
    let volume = pod["volumes"]
        .as_sequence()
        .expect("volumes")
        .iter()
        .find(|v| v["secret"]["secretName"].as_str() == Some(secret))
        .expect("the Secret volume");
    assert_eq!(volume["secret"]["optional"].as_bool(), Some(true));
}

/// The kinds and names only the monitor adds.
const MONITOR: [(&str, &str); 3] = [
    ("Deployment", "muster-monitor"),
    ("Service", "muster-monitor"),
    ("NetworkPolicy", "muster-monitor"),
];

#[test]
fn the_monitor_renders_nothing_when_disabled() {
    let resources = default_resources();
    for (kind, name) in MONITOR {
        assert!(
            !resources.iter().any(|r| r["kind"].as_str() == Some(kind)
                && r["metadata"]["name"].as_str() == Some(name)),
            "{kind} {name} rendered without monitor.enabled"
        );
    }
}

#[test]
fn the_monitor_runs_muster_check_with_the_shared_tokens_on_a_locked_down_pod() {
    let values = json!({"monitor": {"enabled": true}});
    lint_chart(&values).unwrap_or_else(|error| panic!("{error}"));
    let resources = render(values);
    // The tokens render for the monitor alone; the hook does not.
    assert!(!resources.iter().any(|r| r["kind"] == "Job"));

    let deployment = resource(&resources, "Deployment", "muster-monitor");
    assert_eq!(deployment["spec"]["replicas"].as_u64(), Some(1));
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(
        container["command"][0].as_str(),
        Some("/usr/local/bin/muster-check")
    );
    let args = args_of(container);
    assert_eq!(after(&args, "--every"), "5m");
    assert_eq!(after(&args, "--listen"), "0.0.0.0:9090");
    assert_eq!(after(&args, "--url"), "https://phalanx.example.com/muster");
    assert_eq!(after(&args, "--scope"), "read:image");
    assert!(!args.contains(&"--slack-webhook-file"), "{args:?}");
    assert!(!args.contains(&"--argocd"), "{args:?}");
    assert!(container.get("env").is_none(), "{container:?}");
    for (flag, token) in [
        ("--token-file", "muster-check"),
        ("--no-scope-token-file", "muster-check-no-scope"),
    ] {
        let file = after(&args, flag);
        let (secret, item) = secret_behind(pod, file);
        assert_eq!(secret, token, "{flag}");
        // The whole Secret, so that the kubelet replaces a rotated token.
        assert!(item.is_none(), "{flag}");
        assert!(file.ends_with("/token"));
        resource(&resources, "GafaelfawrServiceToken", token);
    }

    // The same pod security as Muster's server, and no Kubernetes token.
    let server_pod = &resource(&resources, "Deployment", "muster")["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"], server_pod["securityContext"]);
    assert_eq!(
        container["securityContext"],
        server_pod["containers"][0]["securityContext"]
    );
    assert_eq!(container["image"], server_pod["containers"][0]["image"]);
    assert_eq!(pod["automountServiceAccountToken"].as_bool(), Some(false));
    assert!(container["resources"]["limits"]["memory"]
        .as_str()
        .is_some());
    assert!(container["resources"]["requests"]["cpu"].as_str().is_some());

    let port = &container["ports"][0];
    assert_eq!(port["name"].as_str(), Some("metrics"));
    assert_eq!(port["containerPort"].as_u64(), Some(9090));
    let liveness = &container["livenessProbe"]["httpGet"];
    assert_eq!(liveness["path"].as_str(), Some("/healthz"));
    assert_eq!(liveness["port"], port["name"]);

    // Its Service: the metrics port, with Prometheus' scrape annotations.
    let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert_eq!(&deployment["spec"]["selector"]["matchLabels"], pod_labels);
    let service = resource(&resources, "Service", "muster-monitor");
    assert_eq!(&service["spec"]["selector"], pod_labels);
    let service_port = &service["spec"]["ports"][0];
    assert_eq!(service_port["port"].as_u64(), Some(9090));
    assert_eq!(service_port["targetPort"], port["name"]);
    let annotations = &service["metadata"]["annotations"];
    assert_eq!(annotations["prometheus.io/scrape"].as_str(), Some("true"));
    assert_eq!(annotations["prometheus.io/port"].as_str(), Some("9090"));
    assert_eq!(annotations["prometheus.io/path"].as_str(), Some("/metrics"));

    // Its NetworkPolicy admits the metrics port from inside the cluster
    // and nothing else.
    let policy = resource(&resources, "NetworkPolicy", "muster-monitor");
    assert_eq!(&policy["spec"]["podSelector"]["matchLabels"], pod_labels);
    let rules = policy["spec"]["ingress"].as_sequence().expect("rules");
    assert_eq!(rules.len(), 1);
    let ports = rules[0]["ports"].as_sequence().expect("ports");
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0]["port"].as_u64(), Some(9090));
    let from = rules[0]["from"].as_sequence().expect("from");
    assert_eq!(from.len(), 1);
    assert_eq!(
        from[0]["namespaceSelector"].as_mapping().map(|m| m.len()),
        Some(0),
        "{from:?}"
    );
    assert!(from[0].get("ipBlock").is_none());

    // Muster's own Service and NetworkPolicy do not select the monitor.
    for kind in ["Service", "NetworkPolicy"] {
        let muster = resource(&resources, kind, "muster");
        let selector = if kind == "Service" {
            &muster["spec"]["selector"]
        } else {
            &muster["spec"]["podSelector"]["matchLabels"]
        };
        assert_ne!(selector, pod_labels, "{kind}");
    }
}

#[test]
fn the_monitor_reads_the_slack_webhook_from_the_vault_secret_as_a_file() {
    let values = json!({"monitor": {"enabled": true}, "config": {"slackAlerts": true}});
    lint_chart(&values).unwrap_or_else(|error| panic!("{error}"));
    let resources = render(values);
    let pod = &resource(&resources, "Deployment", "muster-monitor")["spec"]["template"]["spec"];
    let args = args_of(&pod["containers"][0]);
    let file = after(&args, "--slack-webhook-file");
    let (secret, item) = secret_behind(pod, file);
    assert_eq!(
        Some(secret),
        resource(&resources, "VaultSecret", "muster")["metadata"]["name"].as_str()
    );
    assert_eq!(
        item.expect("the key is listed")["key"].as_str(),
        Some("slack-webhook")
    );
    assert!(pod["containers"][0].get("env").is_none());
}

#[test]
fn the_monitor_follows_its_values_and_shares_the_hooks_tokens() {
    let prometheus = json!([{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "prometheus"
    }}}]);
    let resources = render(json!({
        "postSyncCheck": {"enabled": true},
        "monitor": {"enabled": true, "every": "1m", "port": 9500, "metricsFrom": prometheus},
    }));
    let tokens = resources
        .iter()
        .filter(|r| r["kind"] == "GafaelfawrServiceToken")
        .count();
    assert_eq!(tokens, 2, "one pair of tokens for the hook and the monitor");
    let container = &resource(&resources, "Deployment", "muster-monitor")["spec"]["template"]
        ["spec"]["containers"][0];
    let args = args_of(container);
    assert_eq!(after(&args, "--every"), "1m");
    assert_eq!(after(&args, "--listen"), "0.0.0.0:9500");
    assert_eq!(container["ports"][0]["containerPort"].as_u64(), Some(9500));
    let service = resource(&resources, "Service", "muster-monitor");
    assert_eq!(
        service["metadata"]["annotations"]["prometheus.io/port"].as_str(),
        Some("9500")
    );
    let rule = &resource(&resources, "NetworkPolicy", "muster-monitor")["spec"]["ingress"][0];
    assert_eq!(rule["ports"][0]["port"].as_u64(), Some(9500));
    let from: serde_json::Value = serde_json::to_value(&rule["from"]).expect("from as JSON");
    assert_eq!(from, prometheus);

    let job = resource(&resources, "Job", "muster-check");
    let hook_args = args_of(&job["spec"]["template"]["spec"]["containers"][0]);
    for flag in ["--url", "--token-file", "--no-scope-token-file", "--scope"] {
        assert_eq!(after(&hook_args, flag), after(&args, flag), "{flag}");
    }
}

#[test]
fn no_secret_value_is_ever_rendered() {
    // Every feature on: secrets reach pods only by reference, so the
    // manifests hold no Secret, no literal environment value and no data
    // outside the ConfigMap.
    let resources = render(json!({
        "config": {"slackAlerts": true},
        "postSyncCheck": {"enabled": true},
        "monitor": {"enabled": true},
    }));
    for r in &resources {
        let what = format!("{:?} {:?}", r["kind"], r["metadata"]["name"]);
        assert_ne!(r["kind"].as_str(), Some("Secret"), "{what}");
        if r["kind"] != "ConfigMap" {
            assert!(
                r.get("data").is_none() && r.get("stringData").is_none(),
                "{what}"
            );
        }
        for container in r["spec"]["template"]["spec"]["containers"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            for env in container["env"].as_sequence().into_iter().flatten() {
                assert!(env.get("value").is_none(), "{what}: {env:?}");
                assert!(env["valueFrom"]["secretKeyRef"].is_mapping(), "{what}");
            }
        }
    }
    let manifest =
        render_chart(&json!({"config": {"slackAlerts": true}, "monitor": {"enabled": true}}))
            .unwrap_or_else(|error| panic!("{error}"));
    assert!(!manifest.contains("hooks.slack.com"), "{manifest}");
}
