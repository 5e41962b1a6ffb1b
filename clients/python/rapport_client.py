#!/usr/bin/python3
"""A Python client of Rapport's public gRPC API (proto/rapport/v1).

    rapport_client.py ingest FILE.jsonl [--tenant T] [--batch-size 100] [--in-flight 16]
                      [--retry-for 60] [--quiet] [--json]
    rapport_client.py worst-teams --tenant T [--window 30d | --window A..B] [--limit 10] [--json]

Both take --target HOST:PORT (also spelled --server; default $RAPPORT_SERVER
or 127.0.0.1:50051) and --stubs DIR (default build/python-stubs under the
repository; the stubs are generated there by gen_stubs.generate() when they
are missing or older than proto/).

ingest streams canonical events, one rapport.v1.TicketEvent in proto-JSON per
line, the format `rapport ingest` reads: enum values with or without their
type prefix and in any case ("pending_requester",
"TICKET_STATUS_PENDING_REQUESTER"); blank lines and lines starting with # are
skipped; an unknown field refuses the line. --tenant fills in events without
a tenant and refuses those naming another one. Events go out in batches of
--batch-size over IngestService.StreamEvents with at most --in-flight batches
un-acked; each batch is kept until its ack. When the stream breaks (the server
restarts or shuts down, the network drops) the client reconnects with backoff
and re-sends every un-acked batch in order; the server stores each event id
once, so re-sent events that were already stored count as duplicates. A
stream whose oldest un-acked batch waits --retry-for seconds for its ack
counts as broken too; reconnecting gives up after --retry-for seconds without
an ack (running the same command again is safe). Every rejected event is
printed on stderr as soon as it is known, with its line, event id, code and
message: the server's rejections from the acks, and the client's own
(INVALID_JSON for a line that is not a TicketEvent, INVALID_VALUE for a
tenant other than --tenant). A summary follows on stdout.

worst-teams ranks a tenant's teams by support-experience score, lowest
first (ExperienceService.ListScores), in a table of team, score, the two
axes, relationship quadrant, tickets and trend. --window means what it means
to the `rapport` CLI: 30d, 12h, 90m are the last whole days, hours or minutes
(UTC) back from the tenant's latest event (its watermark, from
AdminService.GetStats); A..B is the range from A up to B, each a date
(2026-01-01) or an RFC 3339 time.

There is no `alerts` command: the API has no alert stream to follow yet.

Exit codes: 0 success; 1 an event was rejected, or an RPC failed; 2 usage
errors; 3 the ingest stream could not be finished (the server stayed away
for --retry-for, or refused a batch as malformed); 77 python3-grpc-tools is
missing and no stubs were generated before; 130 interrupted.
"""
import argparse
import collections
import datetime
import json
import os
import queue
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_stubs  # noqa: E402

DEFAULT_TARGET = "127.0.0.1:50051"
DEFAULT_STUBS = os.path.join(gen_stubs.REPO, "build", "python-stubs")
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_STREAM_FAILED = 3

class Stubs:
    """The generated message and service modules of rapport.v1."""

    def __init__(self, directory):
        if directory not in sys.path:
            sys.path.insert(0, directory)
        import grpc
        from rapport.v1 import (admin_pb2, admin_pb2_grpc, events_pb2, experience_pb2, experience_pb2_grpc,
                                findings_pb2, ingest_pb2, ingest_pb2_grpc, scores_pb2)
        self.grpc = grpc
        self.admin, self.admin_grpc = admin_pb2, admin_pb2_grpc
        self.events, self.findings, self.scores = events_pb2, findings_pb2, scores_pb2
        self.experience, self.experience_grpc = experience_pb2, experience_pb2_grpc
        self.ingest, self.ingest_grpc = ingest_pb2, ingest_pb2_grpc


def stubs_stale(directory):
    """True when a generated module is missing or older than its .proto."""
    for proto in gen_stubs.public_protos():
        source = os.path.join(gen_stubs.PROTO_DIR, proto)
        for suffix in ("_pb2.py", "_pb2_grpc.py"):
            generated = os.path.join(directory, proto[:-len(".proto")] + suffix)
            if not os.path.exists(generated) or os.path.getmtime(generated) < os.path.getmtime(source):
                return True
    return False


def load_stubs(directory):
    """The stubs in `directory`, generated first when missing or stale."""
    directory = os.path.abspath(directory)
    if stubs_stale(directory):
        gen_stubs.generate(directory)
    return Stubs(directory)


def _key_interceptor(grpc, authorization):
    """A client interceptor adding `authorization` to every call's metadata."""

    class Details(grpc.ClientCallDetails):
        def __init__(self, d):
            self.method, self.timeout, self.credentials = d.method, d.timeout, d.credentials
            self.metadata = list(d.metadata or []) + [("authorization", authorization)]
            self.wait_for_ready = getattr(d, "wait_for_ready", None)
            self.compression = getattr(d, "compression", None)

    class Interceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                      grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
        def intercept_unary_unary(self, continuation, details, request):
            return continuation(Details(details), request)

        def intercept_unary_stream(self, continuation, details, request):
            return continuation(Details(details), request)

        def intercept_stream_unary(self, continuation, details, requests):
            return continuation(Details(details), requests)

        def intercept_stream_stream(self, continuation, details, requests):
            return continuation(Details(details), requests)

    return Interceptor()


def make_channel(stubs, target):
    """A channel to `target`; with $RAPPORT_KEY set (docs/security.md), every
    call carries `authorization: Bearer <key>`. The key comes from the
    environment, never a flag, where `ps` would show it."""
    channel = stubs.grpc.insecure_channel(target, options=[
        ("grpc.max_receive_message_length", 64 << 20),
        # A fresh channel per attempt; keep its own reconnect backoff short.
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 1000),
        ("grpc.use_local_subchannel_pool", 1),
    ])
    key = os.environ.get("RAPPORT_KEY")
    if not key:
        return channel
    return stubs.grpc.intercept_channel(channel, _key_interceptor(stubs.grpc, "Bearer " + key))


# ---------------------------------------------------------------------------
# Reading canonical JSONL


class LineError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


def normalize_enums(descriptor, fields):
    """Rewrites "pending_requester" to "TICKET_STATUS_PENDING_REQUESTER" for
    every enum field of `descriptor` in `fields` (a parsed JSON object),
    recursing into messages, as the server's JSONL reader does."""
    for name, value in fields.items():
        field = descriptor.fields_by_name.get(name) or descriptor.fields_by_camelcase_name.get(name)
        if field is None:
            continue
        values = value if isinstance(value, list) else [value]
        if field.message_type is not None:
            if field.message_type.GetOptions().map_entry:
                continue
            for v in values:
                if isinstance(v, dict):
                    normalize_enums(field.message_type, v)
            continue
        if field.enum_type is None:
            continue
        names = field.enum_type.values_by_name
        # The prefix is the common part of the names, e.g. "TICKET_STATUS_".
        prefix = field.enum_type.values[0].name
        prefix = prefix[:prefix.rfind("UNSPECIFIED")]
        for i, v in enumerate(values):
            if not isinstance(v, str):
                continue
            upper = v.upper()
            if upper not in names and prefix + upper in names:
                upper = prefix + upper
            if upper in names:
                values[i] = upper
        if not isinstance(value, list):
            fields[name] = values[0]


def parse_event(stubs, line):
    """A TicketEvent from one line of proto-JSON; LineError when it is not one."""
    from google.protobuf import json_format
    try:
        fields = json.loads(line)
    except ValueError as e:
        raise LineError("INVALID_JSON", f"not a JSON object: {e}") from None
    if not isinstance(fields, dict):
        raise LineError("INVALID_JSON", f"not a JSON object: a JSON {type(fields).__name__}")
    normalize_enums(stubs.events.TicketEvent.DESCRIPTOR, fields)
    event = stubs.events.TicketEvent()
    try:
        json_format.ParseDict(fields, event)
    except json_format.ParseError as e:
        # One line: the parser's first (it goes on to list the message's fields).
        raise LineError("INVALID_JSON", f"not a TicketEvent: {str(e).splitlines()[0]}") from None
    return event


def read_batches(stubs, f, batch_size, tenant, reject):
    """Yields (events, lines) of at most batch_size events from the JSONL
    file `f` (opened in binary), read as they are asked for; refused lines go
    to reject(line, event_id, code, message) and are not sent."""
    events, lines = [], []
    for number, raw in enumerate(f, start=1):
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError as e:
            reject(number, "", "INVALID_JSON", f"not UTF-8: {e}")
            continue
        if not text or text.startswith("#"):
            continue
        try:
            event = parse_event(stubs, text)
        except LineError as e:
            reject(number, "", e.code, e.message)
            continue
        if tenant:
            if not event.tenant:
                event.tenant = tenant
            elif event.tenant != tenant:
                reject(number, event.event_id, "INVALID_VALUE",
                       f"event names tenant '{event.tenant}' but --tenant is '{tenant}'")
                continue
        events.append(event)
        lines.append(number)
        if len(events) == batch_size:
            yield events, lines
            events, lines = [], []
    if events:
        yield events, lines


# ---------------------------------------------------------------------------
# Streaming with re-send of un-acked batches


class StreamFailed(Exception):
    """The stream could not be finished; what is acked stays acked."""


class Batch:
    __slots__ = ("number", "lines", "message", "sends", "sent_at")

    def __init__(self, number, lines, message):
        self.number, self.lines, self.message, self.sends = number, lines, message, 0
        self.sent_at = None  # on the current stream; None while not sent on it


class Totals:
    def __init__(self):
        self.batches = 0          # taken from the input
        self.events_sent = 0      # events in those batches
        self.events_acked = 0
        self.accepted = 0
        self.duplicates = 0
        self.conflicts = 0
        self.rejected = 0         # by the server
        self.rejected_by_code = collections.Counter()
        self.reconnects = 0
        self.resent_batches = 0   # batches sent again after a reconnect
        self.last_error = ""


def count_rejections(ack):
    """Every rejection of the ack by code: from rejected_by_code (the ack
    lists only the first ones in detail), or from the list of a server that
    does not count them."""
    if ack.rejected_by_code:
        return collections.Counter(dict(ack.rejected_by_code))
    return collections.Counter(e.code for e in ack.rejected)


class StreamIngester:
    """The client side of IngestService.StreamEvents, as the C++ client
    (server/client/stream_ingester.h) does it: batches numbered from 0 (the
    number is the batch's sequence), at most `in_flight` un-acked, each kept
    until its ack; on a broken stream a fresh channel after a backoff (50 ms
    doubling to 2 s) and every un-acked batch re-sent in order. A batch the
    server cannot parse (INVALID_ARGUMENT) is not re-sent.

    `retry_for` bounds the waiting: a stream whose oldest un-acked batch has
    had no ack for that long is given up as broken (a server that stopped
    answering), and reconnecting gives up once the stream has kept failing
    that long without an ack.

    The input is read on a thread of its own (at most two batches ahead), so
    a slow source never holds up the acks; gRPC sends from its own thread
    what requests() yields, and run() reads the acks."""

    _END = object()

    def __init__(self, stubs, target, in_flight=16, retry_for=60.0, on_ack=None, on_reconnect=None):
        self.stubs, self.target = stubs, target
        self.in_flight = max(1, in_flight)
        self.retry_for = retry_for
        self.on_ack = on_ack              # (Batch, BatchAck)
        self.on_reconnect = on_reconnect  # (Totals, seconds to wait)
        self.totals = Totals()
        self._cond = threading.Condition()
        self._unacked = collections.deque()  # taken, not acked, in order
        self._ready = queue.Queue(maxsize=2)
        self._input_done = False
        self._source_error = None
        self._attempt = 0
        self._last_ack = time.monotonic()

    def unacked_batches(self):
        with self._cond:
            return len(self._unacked)

    def _read(self, source):
        try:
            for events, lines in source:
                self._ready.put((events, lines))
                with self._cond:
                    self._cond.notify_all()
        except Exception as e:  # the batches before it are still sent
            self._source_error = e
        self._ready.put(self._END)
        with self._cond:
            self._cond.notify_all()

    def _requests(self, attempt):
        """The batches of one stream: the un-acked ones first, then new ones."""
        next_number = 0
        while True:
            with self._cond:
                if self._attempt != attempt:
                    return  # the stream is over; a new one re-sends
                batch = next((b for b in self._unacked if b.number >= next_number), None)
                if batch is None:
                    if self._input_done:
                        return  # half-close: the server acks the rest and ends the call
                    if len(self._unacked) >= self.in_flight:
                        self._cond.wait(0.1)
                        continue
                    try:
                        item = self._ready.get_nowait()
                    except queue.Empty:
                        self._cond.wait(0.1)
                        continue
                    if item is self._END:
                        self._input_done = True
                        self._cond.notify_all()
                        continue
                    events, lines = item
                    message = self.stubs.ingest.EventBatch(sequence=self.totals.batches, events=events)
                    batch = Batch(self.totals.batches, lines, message)
                    self.totals.batches += 1
                    self.totals.events_sent += len(events)
                    self._unacked.append(batch)
                if batch.sends == 1:
                    self.totals.resent_batches += 1
                batch.sends += 1
                batch.sent_at = time.monotonic()
                next_number = batch.number + 1
            yield batch.message

    def _take_ack(self, ack):
        with self._cond:
            batch = self._unacked[0] if self._unacked else None
            if batch is None or ack.sequence != batch.number:
                expected = "none" if batch is None else f"batch {batch.number}"
                raise StreamFailed(f"ack for batch {ack.sequence} arrived while {expected} was expected")
            self._unacked.popleft()
            self._last_ack = time.monotonic()
            self._cond.notify_all()
        t = self.totals
        t.events_acked += len(batch.lines)
        t.accepted += ack.accepted
        t.duplicates += ack.duplicates
        t.conflicts += ack.conflicts
        by_code = count_rejections(ack)
        t.rejected += sum(by_code.values())
        t.rejected_by_code.update(by_code)
        if self.on_ack:
            self.on_ack(batch, ack)

    def _watch(self, attempt, call, stalled):
        """Cancels the call of `attempt` when its oldest un-acked batch has
        waited retry_for for an ack; sets stalled[0] then."""
        with self._cond:
            while self._attempt == attempt:
                oldest = self._unacked[0] if self._unacked else None
                if oldest is not None and oldest.sent_at is not None and \
                        time.monotonic() - max(oldest.sent_at, self._last_ack) > self.retry_for:
                    stalled[0] = True
                    break
                self._cond.wait(0.5)
        if stalled[0]:
            call.cancel()

    def run(self, source):
        """Streams what `source` yields ((events, lines) pairs) and returns
        the totals once every batch is acked; StreamFailed when it cannot."""
        grpc = self.stubs.grpc
        threading.Thread(target=self._read, args=(source,), daemon=True, name="rapport-input").start()
        failing_since = None  # the first failure since the last ack
        backoff = 0.05
        while True:
            with self._cond:
                self._attempt += 1
                attempt = self._attempt
                for batch in self._unacked:
                    batch.sent_at = None
            channel = make_channel(self.stubs, self.target)
            call = None
            error = None
            stalled = [False]
            try:
                stub = self.stubs.ingest_grpc.IngestServiceStub(channel)
                call = stub.StreamEvents(self._requests(attempt))
                threading.Thread(target=self._watch, args=(attempt, call, stalled), daemon=True,
                                 name="rapport-ack-watch").start()
                for ack in call:
                    self._take_ack(ack)
                    failing_since = None
                    backoff = 0.05
            except grpc.RpcError as e:
                error = e
            finally:
                with self._cond:
                    self._attempt += 1  # ends this stream's requests
                    self._cond.notify_all()
                if call is not None:
                    call.cancel()
                channel.close()
            with self._cond:
                finished = self._input_done and not self._unacked
                unacked = list(self._unacked)
            if error is None and finished:
                break
            if error is None:
                self.totals.last_error = "the server ended the stream with batches un-acked"
            elif stalled[0]:
                self.totals.last_error = f"no ack for {self.retry_for:g} s: the server does not answer"
            else:
                self.totals.last_error = f"{error.code().name}: {error.details()}"
                if error.code() == grpc.StatusCode.INVALID_ARGUMENT and unacked:
                    # The same bytes would be refused again: say which batch, and stop.
                    first = unacked[0]
                    raise StreamFailed(
                        f"the server refused batch {first.number} (lines {first.lines[0]}..{first.lines[-1]}; "
                        f"{self.totals.events_acked} events before it are acked): {error.details()}")
            now = time.monotonic()
            failing_since = failing_since or now
            if now - failing_since > self.retry_for:
                raise StreamFailed(
                    f"no batch was acked for {self.retry_for:g} s of reconnecting; last error: "
                    f"{self.totals.last_error}. "
                    f"{self.totals.events_acked} events are acked; running the same command again is safe "
                    "(stored events count as duplicates)")
            self.totals.reconnects += 1
            if self.on_reconnect:
                self.on_reconnect(self.totals, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, 2.0)
        if self._source_error is not None:
            raise self._source_error
        return self.totals


# ---------------------------------------------------------------------------
# Commands


def run_ingest(stubs, args):
    out = sys.stderr
    lock = threading.Lock()  # rejections come from the input thread too
    local = collections.Counter()
    events_read = [0]

    def say(text):
        with lock:
            print(f"rapport_client ingest: {text}", file=out, flush=True)

    def reject(line, event_id, code, message):
        with lock:
            local[code] += 1
        say(f"rejected line {line}" + (f" (event {event_id})" if event_id else "") + f": {code}: {message}")

    def counted_batches(f):
        for events, lines in read_batches(stubs, f, args.batch_size, args.tenant, reject):
            events_read[0] += len(events)
            yield events, lines

    start = time.monotonic()
    first_ack = [None]
    last_line = [start]

    def progress(t, force=False):
        if args.quiet or args.json:
            return
        now = time.monotonic()
        if not force and now - last_line[0] < 5:
            return
        last_line[0] = now
        with lock:
            refused = sum(local.values())
        say(f"{t.events_acked} events acked ({t.accepted} accepted, {t.duplicates} duplicates, "
            f"{t.rejected} rejected), {refused} lines refused before sending, {t.reconnects} reconnects")

    def on_ack(batch, ack):
        if first_ack[0] is None:
            first_ack[0] = time.monotonic() - start
        listed = collections.Counter()
        for e in ack.rejected:
            line = batch.lines[e.index] if e.index < len(batch.lines) else 0
            where = f"line {line}" if line else f"batch {batch.number} index {e.index}"
            named = f" (event {e.event_id})" if e.event_id else ""
            say(f"rejected {where}{named}: {e.code}: {e.message}")
            listed[e.code] += 1
        # An ack details only the server's first --max-ack-errors rejections.
        for code, n in sorted((count_rejections(ack) - listed).items()):
            say(f"rejected {n} more events of lines {batch.lines[0]}..{batch.lines[-1]}: {code} "
                "(the server lists only its first rejections of a batch)")
        progress(ingester.totals)

    def on_reconnect(t, wait):
        if not args.quiet:
            say(f"stream broken ({t.last_error}); reconnecting in {wait:.2f} s to re-send "
                f"{ingester.unacked_batches()} un-acked batches")

    try:
        f = open(args.file, "rb")  # once: it may be a pipe
    except OSError as e:
        print(f"rapport_client ingest: cannot open {args.file}: {e.strerror}", file=sys.stderr)
        return 1
    ingester = StreamIngester(stubs, args.target, in_flight=args.in_flight, retry_for=args.retry_for,
                              on_ack=on_ack, on_reconnect=on_reconnect)
    failure = None
    try:
        t = ingester.run(counted_batches(f))
    except (StreamFailed, OSError) as e:
        failure = str(e)
        t = ingester.totals
    finally:
        f.close()
    seconds = time.monotonic() - start
    progress(t, force=True)
    by_code = t.rejected_by_code + local
    rejected = sum(by_code.values())
    summary = {
        "file": args.file, "target": args.target,
        "events_read": events_read[0] + sum(local.values()),
        "batches": t.batches, "events_sent": t.events_sent, "events_acked": t.events_acked,
        "accepted": t.accepted, "duplicates": t.duplicates, "conflicts": t.conflicts,
        "rejected": rejected, "rejected_by_code": dict(sorted(by_code.items())),
        "reconnects": t.reconnects, "resent_batches": t.resent_batches,
        "seconds": round(seconds, 3),
        "seconds_to_first_ack": round(first_ack[0], 3) if first_ack[0] is not None else None,
        "error": failure,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"Ingested {args.file} into {args.target}" + (" (unfinished)" if failure else ""))
        for key in ("events_read", "events_acked", "accepted", "duplicates", "conflicts", "rejected"):
            print(f"  {key.replace('_', ' '):<14}{summary[key]:>8}")
        for code, n in summary["rejected_by_code"].items():
            print(f"    {code:<16}{n}")
        print(f"  {t.batches} batches, {t.reconnects} reconnects, {t.resent_batches} batches re-sent, "
              f"{seconds:.1f} s")
    if failure:
        print(f"rapport_client ingest: {failure}", file=sys.stderr)
        return EXIT_STREAM_FAILED
    if rejected:
        print(f"rapport_client ingest: {rejected} events rejected (listed above)", file=sys.stderr)
        return EXIT_REJECTED
    return 0


# --- windows, as server/cli/window.h reads them

UNITS = {"d": 86_400_000_000, "h": 3_600_000_000, "m": 60_000_000}
ACCEPTED_WINDOWS = ("--window takes a length back from the tenant's latest event (30d, 12h, 90m) or a range "
                    "A..B of dates (2026-01-01) or RFC 3339 times (2026-01-01T08:00:00Z)")


def parse_instant(text):
    """A date (the start of that day, UTC) or an RFC 3339 time, in microseconds."""
    try:
        t = datetime.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        try:
            t = datetime.datetime.fromisoformat(text)
        except ValueError:
            t = None
        if t is None or t.tzinfo is None or "T" not in text.upper():
            raise ValueError(f"'{text}' is neither a date (2026-01-01) nor an RFC 3339 time "
                             "(2026-01-01T08:00:00Z)") from None
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (t - epoch) // datetime.timedelta(microseconds=1)


def parse_window(text):
    """('relative', count, unit_us) or ('range', start_us, end_us)."""
    if ".." in text:
        a, b = text.split("..", 1)
        try:
            start, end = parse_instant(a), parse_instant(b)
        except ValueError as e:
            raise ValueError(f"{e}; {ACCEPTED_WINDOWS}") from None
        if end <= start:
            raise ValueError(f"the window '{text}' ends before it starts")
        return ("range", start, end)
    unit = UNITS.get(text[-1:]) if len(text) >= 2 else None
    count = text[:-1]
    if unit is None or not count.isdigit() or int(count) <= 0 or int(count) > 10_000 * 366 * UNITS["d"] // unit:
        raise ValueError(f"'{text}' is not a window; {ACCEPTED_WINDOWS}")
    return ("relative", int(count), unit)


def resolve_window(stubs, channel, tenant, spec):
    """The Window message of a parsed --window; a relative one reads the
    tenant's watermark with GetStats. LookupError when the tenant has no events."""
    window = stubs.events.Window()
    if spec[0] == "range":
        start, end = spec[1], spec[2]
    else:
        admin = stubs.admin_grpc.AdminServiceStub(channel)
        stats = admin.GetStats(stubs.admin.GetStatsRequest(tenant=tenant), timeout=60)
        if not stats.tenants:
            raise LookupError(f"tenant '{tenant}' has no events")
        latest = stats.tenants[0].watermark.ToMicroseconds()
        count, unit = spec[1], spec[2]
        end = (latest // unit + 1) * unit
        start = end - count * unit
    window.start.FromMicroseconds(start)
    window.end.FromMicroseconds(end)
    return window


RELATIONSHIPS = {1: "partner", 2: "service gap", 3: "communication gap", 4: "broken"}


def print_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    for r in [header] + rows:
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


def run_worst_teams(stubs, args):
    grpc = stubs.grpc
    try:
        spec = parse_window(args.window) if args.window else None
    except ValueError as e:
        print(f"rapport_client worst-teams: {e}", file=sys.stderr)
        return EXIT_USAGE
    with make_channel(stubs, args.target) as channel:
        try:
            request = stubs.scores.ListScoresRequest(
                tenant=args.tenant, kind=stubs.findings.SCOPE_KIND_TEAM,
                order=stubs.scores.SCORE_ORDER_WORST_FIRST, page_size=min(args.limit, 1000))
            if spec:
                request.window.CopyFrom(resolve_window(stubs, channel, args.tenant, spec))
            stub = stubs.experience_grpc.ExperienceServiceStub(channel)
            reports, total = [], 0
            for _ in range(1 + args.limit):  # a page holds at least one report
                page = stub.ListScores(request, timeout=60)
                total = page.total
                reports.extend(page.scores[:args.limit - len(reports)])
                if not page.next_page_token or len(reports) >= args.limit:
                    break
                request.page_token = page.next_page_token
        except LookupError as e:
            print(f"rapport_client worst-teams: {e}", file=sys.stderr)
            return 1
        except grpc.RpcError as e:
            hint = (f" (is rapportd running at {args.target}? set --target or RAPPORT_SERVER)"
                    if e.code() == grpc.StatusCode.UNAVAILABLE else "")
            print(f"rapport_client worst-teams: {e.code().name}: {e.details()}{hint}", file=sys.stderr)
            return 1
    if args.json:
        def stamp(ts):
            return ts.ToJsonString()
        print(json.dumps({
            "tenant": args.tenant,
            "window": {"start": stamp(request.window.start), "end": stamp(request.window.end)}
            if request.HasField("window") else None,
            "total": total,
            "teams": [{"team": r.scope.id, "scored": r.scored, "score": r.score,
                       "services_score": r.services_score, "communications_score": r.communications_score,
                       "relationship": RELATIONSHIPS.get(r.relationship, "-"), "tickets": r.tickets,
                       "weighted_tickets": r.weighted_tickets, "trend": r.trend if r.has_trend else None}
                      for r in reports]}))
        return 0
    if request.HasField("window"):
        print(f"  teams of {args.tenant}, worst first, events from {request.window.start.ToJsonString()} "
              f"to {request.window.end.ToJsonString()}")
    else:
        print(f"  teams of {args.tenant}, worst first, all time")
    rows = [[i, r.scope.id, f"{r.score:+.1f}" if r.scored else "-", f"{r.services_score:+.1f}",
             f"{r.communications_score:+.1f}", RELATIONSHIPS.get(r.relationship, "-"), r.tickets,
             f"{r.trend:+.1f}" if r.has_trend else "-"] for i, r in enumerate(reports, start=1)]
    print_table(["#", "team", "score", "services", "comms", "relationship", "tickets", "trend"], rows)
    print(f"  ({len(reports)} of {total})")
    return 0


def positive(text):
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive number")
    return n


def main(argv=None):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--target", "--server", default=os.environ.get("RAPPORT_SERVER") or DEFAULT_TARGET,
                        metavar="HOST:PORT", help="rapportd's gRPC address (default $RAPPORT_SERVER or %(default)s)")
    common.add_argument("--stubs", default=DEFAULT_STUBS, metavar="DIR",
                        help="generated stubs, made there when missing (default build/python-stubs)")
    common.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser = argparse.ArgumentParser(prog="rapport_client.py", description=__doc__.split("\n\n")[0],
                                     epilog="See the module's documentation (clients/python/README.md).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ingest = commands.add_parser("ingest", parents=[common], help="stream canonical events from a JSONL file",
                                 description="Streams canonical events (proto-JSON, one per line) in batches, "
                                             "re-sending un-acked batches after a reconnect.")
    ingest.add_argument("file", metavar="FILE", help="one TicketEvent as proto-JSON per line")
    ingest.add_argument("--tenant", default="", help="fills in events without a tenant; refuses other tenants")
    ingest.add_argument("--batch-size", type=positive, default=100, help="events per batch (default 100)")
    ingest.add_argument("--in-flight", type=positive, default=16, help="batches sent and not yet acked (default 16)")
    ingest.add_argument("--retry-for", type=positive, default=60,
                        help="seconds to wait for an ack, and to keep reconnecting without one (default 60)")
    ingest.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    worst = commands.add_parser("worst-teams", parents=[common], help="teams by score, lowest first",
                                description="A tenant's teams ranked by support-experience score, lowest first.")
    worst.add_argument("--tenant", required=True)
    worst.add_argument("--window", help="30d, 12h, 90m back from the tenant's latest event, or A..B")
    worst.add_argument("--limit", type=positive, default=10, help="teams to print (default 10)")
    args = parser.parse_args(argv)

    try:
        stubs = load_stubs(args.stubs)
    except gen_stubs.MissingTools as e:
        print(f"rapport_client: {e}", file=sys.stderr)
        return gen_stubs.MISSING_TOOLS
    except ImportError as e:
        print(f"rapport_client: {e} (apt-get install python3-grpcio python3-protobuf)", file=sys.stderr)
        return 1
    try:
        if args.command == "ingest":
            return run_ingest(stubs, args)
        return run_worst_teams(stubs, args)
    except KeyboardInterrupt:
        print(f"rapport_client {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
