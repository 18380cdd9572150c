//! Muster's Helm chart (`chart/`) linted and rendered by the real Helm
//! engine through `scripts/helm-chart.py` (helm-python-sdk, Helm's Go SDK
//! bound with ctypes), so the stack's nginx is configured from exactly the
//! GafaelfawrIngresses an operator installs.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{json, Value};

/// The command that installs what rendering the chart needs.
pub const HELM_INSTALL_HINT: &str = "python3 -m pip install helm-python-sdk==0.2.2";

/// The chart's directory.
pub fn chart_dir() -> PathBuf {
    repo_dir().join("chart")
}

/// The script that lints and renders the chart.
pub fn helm_script() -> PathBuf {
    repo_dir().join("scripts").join("helm-chart.py")
}

/// Renders the chart to a multi-document YAML manifest, `values_overrides`
/// (a JSON object) overriding `values.yaml` on top of the globals Argo CD
/// injects in a Phalanx environment.
pub fn render_chart(values_overrides: &Value) -> Result<String, String> {
    let output = run_script("template", values_overrides)?;
    if !output.status.success() {
        return Err(failure("render", &output));
    }
    String::from_utf8(output.stdout)
        .map_err(|error| format!("rendered chart is not UTF-8: {error}"))
}

/// Lints the chart with `values_overrides`; `Ok` holds the lint report,
/// `Err` the report when Helm found errors.
pub fn lint_chart(values_overrides: &Value) -> Result<String, String> {
    let output = run_script("lint", values_overrides)?;
    if !output.status.success() {
        return Err(failure("lint", &output));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Values for the local stack: the ingress host and the URLs Muster uses
/// to reach Gafaelfawr, everything else as in `values.yaml`.
pub fn local_stack_values(host: &str, gafaelfawr_url: &str) -> Value {
    json!({
        "global": {
            "host": host,
            "baseUrl": format!("http://{host}"),
        },
        "config": {
            "gafaelfawrUrl": gafaelfawr_url,
        },
    })
}

fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

fn run_script(command: &str, values_overrides: &Value) -> Result<Output, String> {
    if !values_overrides.is_object() {
        return Err(format!(
            "chart values must be a JSON object, not {values_overrides}"
        ));
    }
    Command::new("python3")
        .arg(helm_script())
        .arg(command)
        .arg("--chart")
        .arg(chart_dir())
        .arg("--values-json")
        .arg(values_overrides.to_string())
        .output()
        .map_err(|error| {
            format!(
                "cannot run python3 for {}: {error}; install Python 3.10 or later and then `{HELM_INSTALL_HINT}`",
                helm_script().display()
            )
        })
}

fn failure(what: &str, output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let hint = if output.status.code() == Some(3) {
        format!("\nhelm-python-sdk is missing: run `{HELM_INSTALL_HINT}`")
    } else {
        String::new()
    };
    format!(
        "helm chart {what} of {} failed ({}):\n{stdout}{stderr}{hint}",
        chart_dir().display(),
        output.status
    )
}
