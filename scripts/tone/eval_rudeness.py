#!/usr/bin/python3
"""Measures the rude flag on the offensive-language data of Davidson et al.
(ICWSM 2017), and proposes lexicon entries from its tuning half.

    scripts/tone/eval_rudeness.py [--data ../shared/eval/offensive/davidson2017.dev.csv]
                                  [--tool build/lib/tone/rapport-tone] [--propose]

Split (the file holds the even row ids of the published data): ids that are
multiples of 4 tune the lexicon choices, the others (2 mod 4) are held out. Positives are tweets every coder judged
offensive language; negatives are tweets every coder judged neither offensive
nor hateful. Reported: recall on the positives and the false-alarm rate on the
negatives, for both halves.
"""
import argparse
import collections
import csv
import html
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load(path):
    rows = []
    for r in csv.DictReader(open(path, encoding="utf-8", errors="replace")):
        count = int(r["count"])
        if int(r["offensive_language"]) == count:
            label = 1
        elif int(r["neither"]) == count:
            label = 0
        else:
            continue
        text = html.unescape(r["tweet"]).replace("\n", " ").replace("\r", " ")
        rows.append((int(r[""]), label, text))
    return rows


def flags(tool, texts):
    out = subprocess.run([tool, "--batch"], input="\n".join(texts) + "\n", capture_output=True, text=True,
                         check=True).stdout.splitlines()
    return [int(line.split("\t")[6]) for line in out]


def report(name, rows, flagged):
    pos = [f for (_, y, _), f in zip(rows, flagged) if y == 1]
    neg = [f for (_, y, _), f in zip(rows, flagged) if y == 0]
    recall = sum(pos) / len(pos)
    false_alarms = sum(neg) / len(neg)
    print(f"| {name} | {len(pos)} | {recall:.3f} | {len(neg)} | {false_alarms:.3f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "eval", "offensive",
                                                       "davidson2017.dev.csv"))
    parser.add_argument("--tool", default=os.path.join(ROOT, "build", "lib", "tone", "rapport-tone"))
    parser.add_argument("--propose", action="store_true", help="list candidate words from the tuning half")
    args = parser.parse_args()
    rows = load(args.data)
    tune = [r for r in rows if (r[0] // 2) % 2 == 0]
    test = [r for r in rows if (r[0] // 2) % 2 == 1]
    print("| half | all-offensive tweets | recall | all-neither tweets | false alarms |")
    print("|---|---:|---:|---:|---:|")
    report("tuning (id % 4 == 0)", tune, flags(args.tool, [t for _, _, t in tune]))
    report("held out (id % 4 == 2)", test, flags(args.tool, [t for _, _, t in test]))
    if args.propose:
        pos, neg = collections.Counter(), collections.Counter()
        for _, y, text in tune:
            words = set(re.findall(r"[a-z']{3,}", text.lower()))
            (pos if y else neg).update(words)
        for word, n in pos.most_common(400):
            precision = n / (n + neg[word])
            if n >= 8 and precision >= 0.97:
                print(f"{word}\t{n}\t{neg[word]}\t{precision:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
