#!/usr/bin/env bash
# Fetches the ONNX Runtime CPU library that AiGuard.Onnx binds to.
# NuGet here has no ONNX Runtime package, but npm's onnxruntime-node ships the real
# native library; we take that one file, check it against a pinned hash and cache it
# outside the repository (the binary is never committed).
set -euo pipefail

ORT_VERSION="1.30.0"
ORT_NPM_PACKAGE="onnxruntime-node@${ORT_VERSION}"
ORT_MEMBER="package/bin/napi-v6/linux/x64/libonnxruntime.so.1"
# SHA-256 of libonnxruntime.so.1 from onnxruntime-node@1.30.0 (linux x64).
ORT_SHA256="ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23"

cache_root="${AIGUARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aiguard}"
target_dir="${cache_root}/onnxruntime/${ORT_VERSION}"
target="${target_dir}/libonnxruntime.so.1"

sha256_of() {
  sha256sum "$1" | cut -d' ' -f1
}

if [[ -f "$target" ]] && [[ "$(sha256_of "$target")" == "$ORT_SHA256" ]]; then
  echo "ONNX Runtime ${ORT_VERSION} already cached at ${target}"
  exit 0
fi

if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "fetch-onnxruntime.sh only fetches the linux-x64 library; on $(uname -s)-$(uname -m) set AIGUARD_ONNXRUNTIME_PATH to your ONNX Runtime ${ORT_VERSION} library." >&2
  exit 1
fi

for tool in npm tar sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || { echo "fetch-onnxruntime.sh needs '$tool' on PATH" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "Fetching ${ORT_NPM_PACKAGE} from npm (about 110 MB, once)..."
(cd "$work" && npm pack --silent "$ORT_NPM_PACKAGE" >/dev/null)
tarball="$(find "$work" -maxdepth 1 -name 'onnxruntime-node-*.tgz' | head -n1)"
if [[ -z "$tarball" ]]; then
  echo "npm pack did not produce a tarball for ${ORT_NPM_PACKAGE}" >&2
  exit 1
fi

tar -xzf "$tarball" -C "$work" "$ORT_MEMBER"
actual="$(sha256_of "$work/$ORT_MEMBER")"
if [[ "$actual" != "$ORT_SHA256" ]]; then
  echo "SHA-256 mismatch for ${ORT_MEMBER}: expected ${ORT_SHA256}, got ${actual}. Refusing to install it." >&2
  exit 1
fi

mkdir -p "$target_dir"
# Same-directory temp file so the final mv is an atomic rename: a concurrent build
# never sees a half-written library.
tmp="$(mktemp "${target_dir}/.libonnxruntime.so.1.XXXXXX")"
cp "$work/$ORT_MEMBER" "$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$target"
echo "ONNX Runtime ${ORT_VERSION} cached at ${target}"
