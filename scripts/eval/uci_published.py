#!/usr/bin/python3
"""Rewrites the ServiceNow incident event log of eval/ (re-saved by a
spreadsheet: "29-02-2016 01:16", TRUE/FALSE) into the form the UCI archive
publishes it in ("29/2/2016 1:16", true/false), so the shipped
servicenow-incident-log mapping can be checked on both.

    scripts/eval/uci_published.py [DEV_LOG.csv] OUT.csv
"""
import csv
import io
import os
import re
import sys

from rapport_eval import EVAL

DEV_LOG = os.path.join(EVAL, "incidents", "incident_event_log.dev.csv")
_TIME = re.compile(r"^(\d\d)-(\d\d)-(\d{4}) (\d\d):(\d\d)$")


def published_cell(cell):
    m = _TIME.match(cell)
    if m:
        d, mo, y, h, mi = m.groups()
        return f"{int(d)}/{int(mo)}/{y} {int(h)}:{mi}"
    return {"TRUE": "true", "FALSE": "false"}.get(cell, cell)


def as_published(text):
    """The CSV `text` with every time and boolean cell in the published form."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for i, row in enumerate(csv.reader(io.StringIO(text, newline=""))):
        writer.writerow(row if i == 0 else [published_cell(c) for c in row])
    return out.getvalue()


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    source = argv[1] if len(argv) == 3 else DEV_LOG
    with open(source, newline="", encoding="utf-8") as f:
        text = f.read()
    with open(argv[-1], "w", encoding="utf-8", newline="") as f:
        f.write(as_published(text))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
