#!/usr/bin/python3
"""Generates the Python gRPC stubs of Rapport's API from proto/ with Debian's
python3-grpc-tools, into a build directory (the stubs are never committed).

    gen_stubs.py [--out DIR]     default: build/python-stubs under the repository

Prints the output directory; put it on sys.path (or PYTHONPATH) and import
`rapport.v1.experience_pb2`, `rapport.v1.experience_pb2_grpc` and so on.
Exits 77 with a message when grpc_tools is missing (apt-get install
python3-grpc-tools python3-grpcio; scripts/deps.sh installs them), so a test
can report itself skipped rather than failed. Other programs import
`generate()`.
"""
import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTO_DIR = os.path.join(REPO, "proto")
MISSING_TOOLS = 77  # ctest's SKIP_RETURN_CODE in tests/cli


class MissingTools(Exception):
    pass


def public_protos(proto_dir=PROTO_DIR):
    """The API's .proto files (rapport/v1), relative to proto_dir. Not the
    server's internal records, nor grpc/health, whose package would shadow
    the grpc module itself (python3-grpcio serves health checks)."""
    api = os.path.join(proto_dir, "rapport", "v1")
    return sorted(os.path.join("rapport", "v1", name) for name in os.listdir(api) if name.endswith(".proto"))


def generate(out_dir, proto_dir=PROTO_DIR):
    """Writes *_pb2.py and *_pb2_grpc.py for every API proto under
    out_dir (created if missing) and returns out_dir."""
    try:
        from grpc_tools import protoc
    except ImportError as e:
        raise MissingTools(f"python3-grpc-tools is not installed ({e}); "
                           "apt-get install python3-grpc-tools python3-grpcio") from e
    os.makedirs(out_dir, exist_ok=True)
    # The well-known types (timestamp, duration) ship inside grpc_tools.
    well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    args = ["grpc_tools.protoc", f"-I{proto_dir}", f"-I{well_known}", f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}", *public_protos(proto_dir)]
    if protoc.main(args) != 0:
        raise RuntimeError(f"grpc_tools.protoc failed: {' '.join(args)}")
    return out_dir


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(REPO, "build", "python-stubs"))
    args = parser.parse_args()
    try:
        print(generate(os.path.abspath(args.out)))
    except MissingTools as e:
        print(f"gen_stubs: {e}", file=sys.stderr)
        return MISSING_TOOLS
    return 0


if __name__ == "__main__":
    sys.exit(main())
