# Sourced by the scripts that build Rapport: installs the Debian bookworm
# packages the build, the tests and the demo need, when any is missing.
RAPPORT_PACKAGES=(
  g++ cmake ninja-build pkg-config python3
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev librocksdb-dev libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev nlohmann-json3-dev libjemalloc-dev libcpp-httplib-dev libssl-dev
  python3-grpcio python3-grpc-tools
  python3-yaml  # deploy/check.py reads the manifests (tests/deploy)
  prometheus  # promtool lints /metrics in tests/ops (about 19 MB; the daemon is not started)
  prometheus-alertmanager  # tests/alerts pushes to a real Alertmanager started on 127.0.0.1
  tzdata
  openssl  # tests/security makes a CA and certificates with the openssl program
)

rapport_install_deps() {
  local missing=()
  for pkg in "${RAPPORT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "Installing: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Configures (once) and builds the given targets, or everything, in ./build.
rapport_build() {
  if [ ! -f build/build.ninja ]; then
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAPPORT_WERROR=ON
  fi
  cmake --build build -j "$(nproc)" ${1:+--target "$@"}
}
