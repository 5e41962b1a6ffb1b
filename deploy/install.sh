#!/usr/bin/env bash
# install.sh: installs rapportd as a systemd service.
#
#   sudo deploy/install.sh [--build-dir DIR | --bin-dir DIR] [--prefix DIR] [--root DIR] [--no-enable]
#
#   --build-dir DIR  a CMake build tree (default: build/ at the repository root).
#                    Installed with `cmake --install DIR` (the binaries, the plugin
#                    SDK, the reference rapportd.yaml); without cmake on this host,
#                    the two binaries are copied from it.
#   --bin-dir DIR    a directory holding already-built rapportd and rapport.
#   --prefix DIR     where the programs go (default /usr/local: /usr/local/bin/rapportd).
#   --root DIR       a destination root: everything is written under DIR (DIR/etc/...,
#                    DIR/usr/local/...), nothing outside it; no user is created and
#                    systemctl is not run. For packaging and for tests.
#   --no-enable      install, but neither enable nor start the service.
#
# What it does: installs rapportd and rapport; creates the system user and
# group `rapport`; writes /etc/rapport/rapportd.yaml (root:rapport, 0640) from
# deploy/rapportd.yaml with gRPC on 127.0.0.1:50051, HTTP on 127.0.0.1:8080 and
# the store in /var/lib/rapport/store, unless the file exists (it is never
# overwritten) and checks it with `rapportd --check-config`; installs
# deploy/rapportd.service as /etc/systemd/system/rapportd.service; reloads
# systemd and enables and starts the service.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }
usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

build_dir="" bin_dir="" prefix="/usr/local" root="" enable=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) [ $# -ge 2 ] || usage; build_dir="$2"; shift 2 ;;
    --build-dir=*) build_dir="${1#*=}"; shift ;;
    --bin-dir) [ $# -ge 2 ] || usage; bin_dir="$2"; shift 2 ;;
    --bin-dir=*) bin_dir="${1#*=}"; shift ;;
    --prefix) [ $# -ge 2 ] || usage; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --root|--destdir) [ $# -ge 2 ] || usage; root="$2"; shift 2 ;;
    --root=*|--destdir=*) root="${1#*=}"; shift ;;
    --no-enable) enable=0; shift ;;
    -h|--help) usage ;;
    *) echo "install.sh: unknown argument '$1'" >&2; usage ;;
  esac
done

[ -n "$build_dir" ] && [ -n "$bin_dir" ] && die "give --build-dir or --bin-dir, not both"
case "$prefix" in /*) ;; *) die "--prefix must be an absolute path, not '$prefix'" ;; esac
prefix="${prefix%/}"
[ -n "$prefix" ] || die "--prefix must not be /"
if [ -n "$root" ]; then
  mkdir -p "$root" || die "cannot create the destination root $root"
  root="$(cd "$root" && pwd)"
  [ "$root" != "/" ] || root=""
fi
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
  die "installing into the system needs root (sudo $0 ...), or give --root DIR"
fi

# ---- the binaries ----
dest_bin="$root$prefix/bin"
install -d -m 0755 "$dest_bin"
if [ -n "$bin_dir" ]; then
  for b in rapportd rapport; do
    [ -x "$bin_dir/$b" ] || die "no executable $bin_dir/$b"
    install -m 0755 "$bin_dir/$b" "$dest_bin/$b"
  done
  say "installed rapportd and rapport from $bin_dir into $dest_bin"
else
  build_dir="${build_dir:-$repo/build}"
  [ -f "$build_dir/CMakeCache.txt" ] || die "$build_dir is not a CMake build tree (build first: cmake -S . -B build && cmake --build build --target rapportd rapport), or give --bin-dir"
  for b in server/rapportd server/cli/rapport; do
    [ -x "$build_dir/$b" ] || die "$build_dir/$b is not built (cmake --build $build_dir --target rapportd rapport)"
  done
  if command -v cmake >/dev/null; then
    DESTDIR="$root" cmake --install "$build_dir" --prefix "$prefix" >/dev/null \
      || die "cmake --install $build_dir --prefix $prefix failed"
    say "installed $build_dir (cmake --install) into $root$prefix"
  else
    install -m 0755 "$build_dir/server/rapportd" "$dest_bin/rapportd"
    install -m 0755 "$build_dir/server/cli/rapport" "$dest_bin/rapport"
    say "no cmake here: copied rapportd and rapport from $build_dir into $dest_bin"
  fi
fi
rapportd="$dest_bin/rapportd"

# ---- the user ----
if [ -n "$root" ]; then
  say "--root given: not creating the system user 'rapport' (useradd --system --user-group --home-dir /var/lib/rapport --shell /usr/sbin/nologin rapport)"
elif getent passwd rapport >/dev/null; then
  say "the user 'rapport' exists"
else
  useradd --system --user-group --home-dir /var/lib/rapport --no-create-home \
    --shell /usr/sbin/nologin --comment "Rapport server" rapport \
    || die "useradd rapport failed"
  say "created the system user 'rapport'"
fi

# ---- the configuration ----
etc="$root/etc/rapport"
config="$etc/rapportd.yaml"
install -d -m 0750 "$etc"
if [ -z "$root" ]; then chgrp rapport "$etc"; fi
if [ -e "$config" ]; then
  say "$config exists: kept as it is"
else
  rendered="$(mktemp)"
  trap 'rm -f "$rendered"' EXIT
  bash "$here/render-config.sh" --grpc 127.0.0.1:50051 --http 127.0.0.1:8080 --data-dir /var/lib/rapport/store \
    --require-auth "$here/rapportd.yaml" >"$rendered" || die "cannot render $here/rapportd.yaml"
  install -m 0640 "$rendered" "$config"
  if [ -z "$root" ]; then chgrp rapport "$config"; fi
  say "wrote $config (gRPC 127.0.0.1:50051, HTTP 127.0.0.1:8080, data_dir /var/lib/rapport/store, API keys required; mode 0640${root:+; group rapport skipped under --root})"
fi
# Also proves that the installed rapportd runs here (its shared libraries).
if ! problem="$("$rapportd" --check-config --config "$config" 2>&1)"; then
  die "$config is not accepted by $rapportd: $problem"
fi
say "checked $config: valid"

# ---- the unit ----
unit_dir="$root/etc/systemd/system"
unit="$unit_dir/rapportd.service"
install -d -m 0755 "$unit_dir"
sed "s|/usr/local/bin/|$prefix/bin/|g" "$here/rapportd.service" >"$unit.tmp"
chmod 0644 "$unit.tmp"
mv "$unit.tmp" "$unit"
say "installed $unit"

# ---- systemd ----
if [ -n "$root" ]; then
  say "--root given: not running systemctl daemon-reload / enable (do it on the target system)"
elif [ ! -d /run/systemd/system ] || ! command -v systemctl >/dev/null; then
  say "systemd is not running here: start rapportd yourself, or enable the unit where systemd runs"
else
  systemctl daemon-reload
  if [ "$enable" -eq 1 ]; then
    if systemctl is-active --quiet rapportd; then
      systemctl enable rapportd
      say "rapportd was running: restart it to use the new binary (systemctl restart rapportd)"
    else
      systemctl enable --now rapportd
      say "enabled and started rapportd (systemctl status rapportd; journalctl -u rapportd)"
    fi
  else
    say "--no-enable: the unit is installed but not enabled (systemctl enable --now rapportd)"
  fi
fi
say "done"
