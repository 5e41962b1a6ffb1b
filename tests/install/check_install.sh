#!/usr/bin/env bash
# check_install.sh BUILD_DIR CXX SDK_PLUGIN_SOURCE
# Installs BUILD_DIR into a temporary prefix, builds SDK_PLUGIN_SOURCE with only
# the installed headers (through the installed pkg-config file), starts the
# installed rapportd on a free loopback port with the plugin in its plugin
# directory, and asks the installed CLI which adapters it offers.
set -euo pipefail
build="$1" cxx="$2" source="$3"
tmp="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/rapportd bin/rapport include/rapport/plugin.h include/rapport/adapter_sdk.h; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
pc_dir="$(dirname "$(find "$prefix" -name rapport-plugin.pc | head -1)")"
cflags="$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags rapport-plugin)"
mkdir -p "$tmp/plugins"
"$cxx" -std=c++17 -shared -fPIC -fvisibility=hidden $cflags -o "$tmp/plugins/lines.so" "$source"

port="$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$prefix/bin/rapportd" --listen="127.0.0.1:$port" --data-dir="$tmp/data" --plugin-dir="$tmp/plugins" 2>"$tmp/rapportd.log" &
pid=$!
"$prefix/bin/rapport" health --server "127.0.0.1:$port" --wait 30 >/dev/null || { cat "$tmp/rapportd.log"; exit 1; }
plugins="$("$prefix/bin/rapport" plugins --server "127.0.0.1:$port")"
echo "$plugins"
if ! grep -q "lines-sdk" <<<"$plugins"; then
  cat "$tmp/rapportd.log"
  exit 1
fi
echo "the installed rapportd loaded a plugin built against the installed SDK"
