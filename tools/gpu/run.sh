#!/usr/bin/env bash
# The GPU report from the packed kit (gpu-kit/, built by `deno task gpu-pack [PART]`), on a
# host with no network, Node.js or Deno: unpacks Deno, its npm files and the data into a temp
# folder, puts the kit's Vulkan loader in place (LD_LIBRARY_PATH, VK_ICD_FILENAMES), then runs
# tools/gpu/driver.ts with Deno from the kit (--cached-only), which runs the report parts that the
# kit's parts (kit.json "parts") can run and writes OUTDIR/gpu-report.json, gpu-report.md and
# gpu-run.log. A report already in OUTDIR (the other kit part's run) is continued, not replaced.
#
#   bash tools/gpu/run.sh OUTDIR                     # on the GPU host (NVIDIA's Vulkan driver)
#   bash tools/gpu/run.sh --dry-run OUTDIR           # rehearsal here: Mesa llvmpipe, tiny sizes
#   bash tools/gpu/run.sh --part infer-web OUTDIR    # only one of the kit's parts
#
# Parts (tools/gpu/kit_parts.ts): train, infer-node, infer-web; a kit holds those it was packed for.
#
# Run from anywhere; the repository is this script's ../..  Environment: NOPROP_GPU_KIT (the kit
# folder, default gpu-kit), NOPROP_GPU_ICD (the Vulkan driver manifest), NOPROP_GPU_TIME_SCALE
# (multiplies every part's time limit), NOPROP_GPU_KEEP=1 (keep the unpacked folder).
# Exit status: the driver's (0: every part it ran wrote its fields), 2: bad usage or no kit.
set -euo pipefail
cd "$(dirname "$0")/../.."

usage="usage: bash tools/gpu/run.sh [--dry-run] [--part train|infer-node|infer-web] OUTDIR"
dry=0
part=()
while [ $# -gt 0 ]; do
  case "$1" in
  --dry-run)
    dry=1
    shift
    ;;
  --part)
    if [ $# -lt 2 ] || ! [[ "$2" =~ ^(train|infer-node|infer-web)$ ]]; then
      echo "error: --part must be train, infer-node or infer-web; $usage" >&2
      exit 2
    fi
    part=(--kit-parts "$2")
    shift 2
    ;;
  -*)
    echo "error: unknown option $1; $usage" >&2
    exit 2
    ;;
  *) break ;;
  esac
done
if [ $# -ne 1 ]; then
  echo "$usage" >&2
  exit 2
fi
kit=${NOPROP_GPU_KIT:-gpu-kit}
if [ ! -f "$kit/kit.json" ]; then
  echo "error: $kit/kit.json is missing: build the kit first (deno task gpu-pack)" >&2
  exit 2
fi
kit=$(cd "$kit" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
t0=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/noprop-gpu.XXXXXX")
if [ "${NOPROP_GPU_KEEP:-0}" != 1 ]; then
  trap 'rm -rf "$work"' EXIT
fi

# Unpacking, with Python's lzma/tarfile where xz or dpkg-deb are missing.
unxz_to() {
  if command -v xz >/dev/null; then
    xz -dc "$1" >"$2"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}
untar_xz() {
  if command -v xz >/dev/null; then
    xz -dc "$1" | tar -xf - -C "$2"
  else
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
  fi
}
deb_x() {
  if command -v dpkg-deb >/dev/null; then
    dpkg-deb -x "$1" "$2"
  else
    python3 - "$1" "$2" <<'PY'
import io, sys, tarfile
raw = open(sys.argv[1], "rb").read()
assert raw[:8] == b"!<arch>\n", sys.argv[1] + ": not a .deb (ar archive)"
i = 8
while i < len(raw):
    name, size = raw[i:i + 16].decode().strip(), int(raw[i + 48:i + 58])
    if name.startswith("data.tar"):
        tarfile.open(fileobj=io.BytesIO(raw[i + 60:i + 60 + size])).extractall(sys.argv[2])
    i += 60 + size + (size & 1)
PY
  fi
}

mkdir -p "$work/bin" "$work/vulkan" "$work/home" "$work/xdg"
chmod 700 "$work/xdg"
unxz_to "$kit/deno.xz" "$work/bin/deno"
chmod +x "$work/bin/deno"
for tarball in "$kit"/*.tar.xz; do
  untar_xz "$tarball" "$work"
done
for deb in "$kit"/debs/*.deb; do
  deb_x "$deb" "$work/vulkan"
done

# The kit's Vulkan loader, and the driver: NVIDIA's on the GPU host, Mesa's llvmpipe in rehearsal.
if [ "$dry" = 1 ]; then
  icd=${NOPROP_GPU_ICD:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}
else
  icd=${NOPROP_GPU_ICD:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
fi
if [ ! -f "$icd" ]; then
  echo "warning: the Vulkan driver manifest $icd is missing; the WebGPU parts will fail" >&2
fi
export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ "$dry" = 0 ]; then
  # NVIDIA's ICD names libGLX_nvidia.so.0 without a path: where the driver is mounted but not in
  # the loader's cache, search its folders too (after the kit's and the caller's).
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    if [ -d "$d" ]; then LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d"; fi
  done
fi
export VK_ICD_FILENAMES="$icd" VK_DRIVER_FILES="$icd"
export DENO_WEBGPU_BACKEND=vulkan XDG_RUNTIME_DIR="$work/xdg"
# Deno sees only the kit: its npm files, an empty HOME, no network (anything it tried to fetch
# would fail at once; in rehearsal the network namespace is cut too where unshare allows).
export DENO_DIR="$work/deno_dir" HOME="$work/home" DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1 NO_COLOR=1
# (NPM_CONFIG_REGISTRY must stay unset: it names the cache folder Deno reads, registry.npmjs.org.)
unset NPM_CONFIG_REGISTRY
export HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9
net=()
if [ "$dry" = 1 ] && unshare -n true 2>/dev/null; then
  net=(unshare -n)
fi
echo "gpu kit: unpacked in $(($(date +%s) - t0)) s into $work${net[*]:+ (network cut: ${net[*]})}" >&2

args=(--out "$out" --work "$work" --data "$work/data" --kit "$kit/kit.json" ${part[@]+"${part[@]}"})
if [ -f "$work/anchors/torch_noprop_dt.py" ]; then
  args+=(--anchor "$work/anchors/torch_noprop_dt.py")
fi
if [ "$dry" = 1 ]; then
  args+=(--dry-run)
fi
rc=0
${net[@]+"${net[@]}"} "$work/bin/deno" run --cached-only -A tools/gpu/driver.ts "${args[@]}" || rc=$?
echo "gpu kit: done in $(($(date +%s) - t0)) s (exit status $rc): $out/gpu-report.md" >&2
exit "$rc"
