#!/usr/bin/env python3
"""Lint Muster's Helm chart or render it to a manifest, without a cluster.

Uses helm-python-sdk, which binds Helm's own Go SDK (v4) with ctypes, so the
chart is linted and rendered by the real Helm engine and no ``helm`` binary
or Kubernetes cluster is needed.

    scripts/helm-chart.py lint [--chart DIR] [--values-json JSON]
    scripts/helm-chart.py template [--chart DIR] [--values-json JSON]
        [--release NAME] [--namespace NS]

``lint`` prints every finding and exits 1 if any is an error. ``template``
prints a multi-document YAML manifest (like ``helm template``) on stdout.
``--values-json`` holds values overriding ``values.yaml``. Both commands
start from the globals Argo CD injects in a Phalanx environment
(``global.host``, ``global.baseUrl``, ``global.repertoireUrl``,
``global.vaultSecretsPath``), so a chart that relies on them lints.
Exit status 3 means helm-python-sdk is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

INSTALL_HINT = "python3 -m pip install helm-python-sdk==0.2.2"
DEFAULT_CHART = Path(__file__).resolve().parent.parent / "chart"
PHALANX_GLOBALS: dict[str, Any] = {
    "global": {
        "host": "phalanx.example.com",
        "baseUrl": "https://phalanx.example.com",
        "repertoireUrl": "https://phalanx.example.com/repertoire",
        "vaultSecretsPath": "secret/phalanx/example",
    }
}
LINT_SEVERITIES = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base``."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_helm() -> Any:
    try:
        import helm_python
    except ImportError as error:
        print(
            f"helm-python-sdk is not installed ({error}); install it with: {INSTALL_HINT}",
            file=sys.stderr,
        )
        sys.exit(3)
    return helm_python


def lint(helm: Any, chart: Path, values: dict[str, Any]) -> int:
    report = helm.lint(chart, values, strict=False)
    errors = 0
    for message in report.get("messages") or []:
        severity = LINT_SEVERITIES.get(message.get("severity"), "UNKNOWN")
        errors += severity == "ERROR"
        print(f"[{severity}] {message.get('path', '')}: {message.get('error', '')}")
    for error in report.get("errors") or []:
        errors += 1
        print(f"[ERROR] {error}")
    linted = report.get("total_charts_linted", 0)
    print(f"{linted} chart(s) linted, {errors} error(s)")
    return 1 if errors or linted < 1 else 0


def template(helm: Any, chart: Path, values: dict[str, Any], release: str, namespace: str) -> int:
    loaded = helm.Chart.load(chart)
    rendered = loaded.render(values, name=release, namespace=namespace, is_install=True)
    documents = []
    for path in sorted(rendered):
        text = rendered[path]
        if not path.endswith((".yaml", ".yml", ".json")) or not text.strip():
            continue
        documents.append(f"---\n# Source: {path}\n{text.strip()}\n")
    sys.stdout.write("".join(documents))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["lint", "template"])
    parser.add_argument("--chart", type=Path, default=DEFAULT_CHART)
    parser.add_argument("--values-json", default="{}", help="values overriding values.yaml")
    parser.add_argument("--release", default="muster")
    parser.add_argument("--namespace", default="muster")
    args = parser.parse_args()
    try:
        overrides = json.loads(args.values_json)
    except json.JSONDecodeError as error:
        parser.error(f"--values-json is not JSON: {error}")
    if not isinstance(overrides, dict):
        parser.error("--values-json must be a JSON object")
    values = merge(PHALANX_GLOBALS, overrides)
    helm = load_helm()
    try:
        if args.command == "lint":
            return lint(helm, args.chart, values)
        return template(helm, args.chart, values, args.release, args.namespace)
    except helm.HelmError as error:
        print(f"helm {args.command} of {args.chart} failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
