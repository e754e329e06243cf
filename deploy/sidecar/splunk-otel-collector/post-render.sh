#!/bin/sh
# Helm post-renderer (helm install/upgrade/template --post-renderer PATH, Helm 3.1+): reads the
# rendered manifests on stdin, writes them with the edgewatch sidecar patched into the
# splunk-otel-collector gateway (kustomization.yaml, edgewatch-patch.yaml beside this script)
# on stdout. Needs `kustomize` or `kubectl` (its built-in kustomize) on the PATH.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/all.yaml"
cp "$here/kustomization.yaml" "$here/edgewatch-patch.yaml" "$work/"
if command -v kustomize >/dev/null 2>&1; then
  kustomize build "$work"
elif command -v kubectl >/dev/null 2>&1; then
  kubectl kustomize "$work"
else
  echo "post-render.sh: needs kustomize or kubectl on the PATH" >&2
  exit 1
fi
