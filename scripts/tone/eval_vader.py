#!/usr/bin/python3
"""Agreement of Rapport's valence analyser with human ratings and with the
reference VADER implementation, on the sentence-level ground truth of Hutto &
Gilbert (2014).

    scripts/tone/eval_vader.py [--eval-dir ../shared/eval/vader] [--tool build/lib/tone/rapport-tone]

For each file: Pearson r of Rapport's compound vs the human mean rating, the
same r for the npm package vader-sentiment 1.1.3 (installed into a temporary
directory at run time; needs npm), and the mean absolute difference between
the two implementations' compound scores.
"""
import argparse
import html
import math
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FILES = ["movieReviewSnippets_GroundTruth.txt", "amazonReviewSnippets_GroundTruth.txt",
         "nytEditorialSnippets_GroundTruth.txt"]


def pearson(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy)


def load(path):
    ratings, texts = [], []
    with open(path, encoding="latin-1") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            ratings.append(float(parts[1]))
            texts.append(html.unescape("\t".join(parts[2:])).replace("\n", " "))
    return ratings, texts


def rapport_scores(tool, texts):
    out = subprocess.run([tool, "--batch"], input="\n".join(texts) + "\n", capture_output=True, text=True,
                         check=True).stdout
    return [float(line.split("\t")[0]) for line in out.splitlines()]


def reference_scores(node_dir, texts):
    out = subprocess.run(["node", os.path.join(HERE, "vader_reference.js")], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, check=True, cwd=node_dir,
                         env=dict(os.environ, NODE_PATH=os.path.join(node_dir, "node_modules"))).stdout
    return [float(x) for x in out.split()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--eval-dir", default=os.path.join(ROOT, "..", "shared", "eval", "vader"))
    parser.add_argument("--tool", default=os.path.join(ROOT, "build", "lib", "tone", "rapport-tone"))
    parser.add_argument("--no-reference", action="store_true", help="skip the npm reference")
    args = parser.parse_args()
    node_dir = None
    if not args.no_reference:
        node_dir = tempfile.mkdtemp(prefix="vader-ref-")
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "vader-sentiment@1.1.3"],
                       cwd=node_dir, check=True, stdout=subprocess.DEVNULL)
    print("| file | sentences | Rapport r | reference r | |Δ| | mean abs diff of compound |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in FILES:
        ratings, texts = load(os.path.join(args.eval_dir, name))
        ours = rapport_scores(args.tool, texts)
        assert len(ours) == len(texts)
        r_ours = pearson(ours, ratings)
        if node_dir:
            ref = reference_scores(node_dir, texts)
            assert len(ref) == len(texts)
            r_ref = pearson(ref, ratings)
            mad = sum(abs(a - b) for a, b in zip(ours, ref)) / len(ref)
            print(f"| {name.split('_')[0]} | {len(texts)} | {r_ours:.4f} | {r_ref:.4f} | {abs(r_ours - r_ref):.4f} | {mad:.4f} |")
        else:
            print(f"| {name.split('_')[0]} | {len(texts)} | {r_ours:.4f} | – | – | – |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
