#!/usr/bin/python3
"""A long ticket read whole through paging by a Python gRPC client with
default limits: a real rapportd on a free loopback port with a temp data dir,
one ticket of --comments comments of --comment-bytes bytes (6,000 of 1 KB:
about 6 MB, over gRPC's default 4 MB receive limit as one answer), ingested
with `rapport ingest`; the client follows next_page_token and must see every
comment once, in order. Also: a page asked at the maximum size stays under
the limit (the byte cap), and `rapport ticket` prints the whole timeline.

The stubs come from clients/python/gen_stubs.py (python3-grpc-tools); the
test exits 77 (skipped) only when that package is missing.

    long_ticket_test.py RAPPORTD RAPPORT [--comments 6000] [--comment-bytes 1024]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
import gen_stubs  # noqa: E402

DEFAULT_RECEIVE_LIMIT = 4 * 1024 * 1024  # gRPC's, in every language


from loopback import free_port, wait_listening  # noqa: E402


def write_ticket(path, comments, comment_bytes):
    """The ticket's events as JSONL; returns the comments' event ids in order."""
    ids = []
    with open(path, "w") as f:
        def event(n, **fields):
            seconds = 1_788_249_600 + 60 * n  # from 2026-09-01, a minute apart
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
            f.write(json.dumps({"tenant": "long", "ticket_id": "T-LONG", "occurred_at": stamp, **fields}) + "\n")
        event(0, event_id="open", kind="ticket_created", status="new", priority="medium", requester={"id": "u1"})
        for i in range(comments):
            text = f"comment {i:05d} "
            text += "the shared drive is still read-only for the finance team. " * (comment_bytes // 50)
            ids.append(f"c{i:05d}")
            event(1 + i, event_id=ids[-1], kind="comment_added",
                  actor={"id": "kim" if i % 2 else "u1", "role": "agent" if i % 2 else "requester"},
                  comment={"text": text[:comment_bytes], "public": True})
    return ids


def read_pages(stub, pb, page_size=0, max_pages=1000):
    """Every page of the ticket, following next_page_token."""
    pages = []
    request = pb.GetTicketRequest(tenant="long", ticket_id="T-LONG", page_size=page_size)
    while len(pages) < max_pages:
        page = stub.GetTicket(request, timeout=60)
        pages.append(page)
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    return pages


def check(args, stubs, port, expected, failures):
    sys.path.insert(0, stubs)
    import grpc
    from rapport.v1 import events_pb2, experience_pb2 as pb, experience_pb2_grpc as pb_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:  # default limits
        stub = pb_grpc.ExperienceServiceStub(channel)
        pages = read_pages(stub, pb)
        ids = [e.event.event_id for p in pages for e in p.timeline if e.event.kind == events_pb2.EVENT_KIND_COMMENT_ADDED]
        sizes = [p.ByteSize() for p in pages]
        whole = sum(sizes)
        print(f"{len(pages)} pages of at most {max(sizes)} bytes, {whole} bytes in all "
              f"(one answer would be over the {DEFAULT_RECEIVE_LIMIT}-byte limit: {whole > DEFAULT_RECEIVE_LIMIT})")
        if ids != expected:
            failures.append(f"{len(ids)} comments read ({len(set(ids))} distinct), {len(expected)} expected in order")
        if pages[0].timeline_total != len(expected) + 1 or pages[0].timeline[0].event.event_id != "open":
            failures.append(f"timeline_total {pages[0].timeline_total}, first entry {pages[0].timeline[0].event.event_id}")
        if max(sizes) >= 1_000_000:
            failures.append(f"a default page of {max(sizes)} bytes is not under 1 MB")
        if whole <= DEFAULT_RECEIVE_LIMIT:
            failures.append(f"the whole timeline ({whole} bytes) fits one default answer: the test proves nothing")

        largest = read_pages(stub, pb, page_size=1000)  # the maximum: the byte cap keeps each page small
        largest_ids = [e.event.event_id for p in largest for e in p.timeline][1:]
        print(f"at page_size 1000: {len(largest)} pages of at most {max(p.ByteSize() for p in largest)} bytes")
        if largest_ids != expected:
            failures.append(f"at page_size 1000: {len(largest_ids)} comments read, {len(expected)} expected in order")

    shown = subprocess.run([args.rapport, "ticket", "--server", f"127.0.0.1:{port}", "--tenant", "long", "T-LONG"],
                           capture_output=True, text=True, timeout=120)
    line = next((l for l in shown.stdout.splitlines() if "timeline (" in l), shown.stderr.strip())
    print(f"rapport ticket: exit {shown.returncode}, {line.strip()}")
    if shown.returncode != 0 or f"timeline ({len(expected) + 1} events)" not in shown.stdout \
            or f"comment {len(expected) - 1:05d}" not in shown.stdout:
        failures.append(f"rapport ticket did not print the whole timeline: {line}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rapportd")
    parser.add_argument("rapport")
    parser.add_argument("--comments", type=int, default=6000)
    parser.add_argument("--comment-bytes", type=int, default=1024)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rapport-long-ticket-") as tmp:
        try:
            stubs = gen_stubs.generate(os.path.join(tmp, "stubs"))
        except gen_stubs.MissingTools as e:
            print(f"SKIPPED: {e}")
            return gen_stubs.MISSING_TOOLS
        path = os.path.join(tmp, "events.jsonl")
        expected = write_ticket(path, args.comments, args.comment_bytes)
        port = free_port()
        log = open(os.path.join(tmp, "rapportd.log"), "w")
        server = subprocess.Popen([args.rapportd, f"--listen=127.0.0.1:{port}",
                                   f"--data-dir={os.path.join(tmp, 'data')}"], stderr=log)
        failures = []
        try:
            if not wait_listening(port):
                print("rapportd did not start", file=sys.stderr)
                return 1
            done = subprocess.run([args.rapport, "ingest", "--server", f"127.0.0.1:{port}", "--json", path],
                                  capture_output=True, text=True, timeout=300)
            print(f"ingest: exit {done.returncode}: {done.stdout.strip() or done.stderr.strip()}")
            if done.returncode != 0 or json.loads(done.stdout)["accepted"] != args.comments + 1:
                failures.append("the ticket was not ingested whole")
            else:
                try:
                    check(args, stubs, port, expected, failures)
                except Exception as e:  # an RPC error: say which, as a failure
                    failures.append(f"{type(e).__name__}: {getattr(e, 'details', lambda: e)()}")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        for f in failures:
            print("FAILED:", f, file=sys.stderr)
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
