#!/usr/bin/python3
"""Fits the politeness model and measures it on the Stanford Politeness Corpus
(Danescu-Niculescu-Mizil et al., ACL 2013): in domain on its Wikipedia
requests, and across domains on the half of its Stack Exchange requests that
the project keeps for validation (the other half is held out).

    scripts/tone/fit_politeness.py [--corpus ../shared/eval/politeness/wikipedia.annotated.csv]
                                   [--validation ../shared/eval/politeness/stack-exchange.dev.csv]
                                   [--tool build/lib/tone/rapport-tone] [--write data/tone/politeness_model.tsv]

Needs Debian's python3-sklearn (and so python3-numpy).

The task is the paper's: in each community, requests in the top quartile of the
normalized politeness score are polite, those in the bottom quartile impolite,
the middle half is left out. Features are extracted by the C++ engine itself
(`rapport-tone --features`) and counted as the engine counts them (a word said
twice adds its weight twice), so the figures measure what the server runs.

The model is trained on Wikipedia only. What is chosen is how much it may lean
on word identities, which do not carry over to other communities, against the
politeness strategies: word features are scaled by `word_scale` (the same as a
1/word_scale² stronger L2 penalty on them; 0 leaves strategies only) and `C` is
the overall regularisation strength. Every point of a small grid is measured by
10-fold cross-validation on Wikipedia and by its accuracy on the Stack Exchange
validation half when trained on all of Wikipedia. Among the points that keep
82% in domain, those within one point (the noise of the validation half) of the
best across domains are equally good; the best of them in domain is chosen. The model
of that point, fitted on all labelled Wikipedia requests, is written as the data
file the server compiles in.
"""
import argparse
import csv
import os
import subprocess
import sys

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EVAL = os.path.join(ROOT, "..", "shared", "eval", "politeness")

WORD_SCALES = [1.0, 0.5, 0.25, 0.0]
CS = [0.1, 0.3, 1.0, 3.0]
MIN_IN_DOMAIN = 0.82
CROSS_DOMAIN_NOISE = 0.01


def load(path):
    """The top and bottom quartile requests of a corpus file, their labels, and
    the requests of the middle half."""
    rows = list(csv.DictReader(open(path, encoding="utf-8", errors="replace")))
    scores = np.array([float(r["Normalized Score"]) for r in rows])
    low, high = np.percentile(scores, 25), np.percentile(scores, 75)
    texts, labels, middle = [], [], []
    for r, s in zip(rows, scores):
        text = r["Request"].replace("\r", " ").replace("\n", " ")
        if s >= high or s <= low:
            texts.append(text)
            labels.append(1 if s >= high else 0)
        else:
            middle.append(text)
    return texts, np.array(labels), middle


def features(tool, texts):
    out = subprocess.run([tool, "--features", "--model=/dev/null"], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, check=True).stdout.split("\n")
    dicts = []
    for line in out[: len(texts)]:
        d = {}
        # Pairs are separated by plain spaces; a token may hold other Unicode spaces.
        for pair in filter(None, line.split(" ")):
            name, _, value = pair.rpartition("=")
            d[name] = d.get(name, 0.0) + float(value) if name.startswith("w:") else float(value)
        dicts.append(d)
    return dicts


def scaled(dicts, word_scale):
    """Word features times word_scale (dropped at 0); strategies as they are."""
    out = []
    for d in dicts:
        out.append({k: (v * word_scale if k.startswith("w:") else v) for k, v in d.items()
                    if word_scale > 0 or not k.startswith("w:")})
    return out


def fit(C, X, y, X_middle):
    """A logistic regression whose bias puts the median request of the middle
    half, neither polite nor impolite, at politeness 0: a plain request reads
    as neutral rather than as falling short of the politest ones."""
    m = LogisticRegression(C=C, solver="liblinear", max_iter=2000).fit(X, y)
    m.intercept_ = m.intercept_ - np.median(m.decision_function(X_middle))
    return m


def cross_validate(C, X, y, X_middle, folds):
    scores = [accuracy(fit(C, X[train], y[train], X_middle), X[test], y[test]) for train, test in folds.split(X, y)]
    return float(np.mean(scores))


def accuracy(m, X, y):
    return float((m.predict(X) == y).mean())


# Requests whose politeness tests/tone/politeness_test.cc expects the engine to
# give, as this script computes it from the written model file: the engine
# must score exactly the features that were fitted.
AGREEMENT_REQUESTS = [
    "Hi, could you please have a look at my printer? Thanks a lot!",
    "Why is this still broken? I told you twice what to do.",
    "So what do you want me to do now?",
    "I think the the issue is with the VPN, you you could try again.",
]


def written_politeness(path, dicts):
    """Politeness = tanh(z / 2) with z from the model file as the engine reads it."""
    bias, weights = 0.0, {}
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        kind, name, value = line.rstrip("\n").split("\t")
        if kind == "bias":
            bias = float(value)
        else:
            weights[("s:" if kind == "strategy" else "w:") + name] = float(value)
    return [float(np.tanh((bias + sum(weights.get(k, 0.0) * v for k, v in d.items())) / 2)) for d in dicts]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=os.path.join(EVAL, "wikipedia.annotated.csv"))
    parser.add_argument("--validation", default=os.path.join(EVAL, "stack-exchange.dev.csv"))
    parser.add_argument("--tool", default=os.path.join(ROOT, "build", "lib", "tone", "rapport-tone"))
    parser.add_argument("--write", default=os.path.join(ROOT, "data", "tone", "politeness_model.tsv"))
    args = parser.parse_args()

    wiki_texts, yw, wiki_middle_texts = load(args.corpus)
    se_texts, ys, se_middle_texts = load(args.validation)
    wiki, se = features(args.tool, wiki_texts), features(args.tool, se_texts)
    wiki_middle, se_middle = features(args.tool, wiki_middle_texts), features(args.tool, se_middle_texts)
    print(f"Wikipedia: {len(yw)} requests ({yw.sum()} polite, {len(yw) - yw.sum()} impolite); "
          f"Stack Exchange validation half: {len(ys)} ({ys.sum()} polite)")
    folds = StratifiedKFold(n_splits=10, shuffle=True, random_state=2013)

    print("word_scale      C  Wikipedia 10-fold  Wikipedia -> Stack Exchange")
    grid = []
    for word_scale in WORD_SCALES:
        vectorizer = DictVectorizer()
        Xw = vectorizer.fit_transform(scaled(wiki, word_scale))
        Xs = vectorizer.transform(scaled(se, word_scale))
        Xm = vectorizer.transform(scaled(wiki_middle, word_scale))
        for C in CS:
            in_domain = cross_validate(C, Xw, yw, Xm, folds)
            cross = accuracy(fit(C, Xw, yw, Xm), Xs, ys)
            grid.append((word_scale, C, in_domain, cross))
            print(f"{word_scale:10.2f} {C:6.1f}  {in_domain:17.4f}  {cross:26.4f}")

    # On 1,646 validation requests one point of accuracy is within the noise
    # (its standard error is about 1.2 points), so every point that holds in
    # domain and comes within one point of the best across domains is as good
    # a choice; of those, the best in domain (then the more regularised) wins.
    eligible = [g for g in grid if g[2] >= MIN_IN_DOMAIN]
    best_cross = max(g[3] for g in eligible)
    close = [g for g in eligible if g[3] >= best_cross - CROSS_DOMAIN_NOISE]
    word_scale, C, in_domain, cross = max(close, key=lambda g: (round(g[2], 6), -g[0], -g[1]))
    vectorizer = DictVectorizer()
    Xw = vectorizer.fit_transform(scaled(wiki, word_scale))
    Xs = vectorizer.transform(scaled(se, word_scale))
    Xm = vectorizer.transform(scaled(wiki_middle, word_scale))
    se_vectorizer = DictVectorizer()
    se_X = se_vectorizer.fit_transform(scaled(se, word_scale))
    se_model = fit(C, se_X, ys, se_vectorizer.transform(scaled(se_middle, word_scale)))
    se_to_wiki = accuracy(se_model, se_vectorizer.transform(scaled(wiki, word_scale)), yw)
    print(f"chosen: word_scale={word_scale} C={C}: Wikipedia 10-fold {in_domain:.4f}, "
          f"Wikipedia -> Stack Exchange {cross:.4f}, Stack Exchange -> Wikipedia {se_to_wiki:.4f}")

    best = fit(C, Xw, yw, Xm)
    with open(args.write, "w", encoding="utf-8", newline="\n") as f:
        f.write("# Politeness model: logistic regression over the features of lib/tone/politeness.cc,\n"
                "# fitted by scripts/tone/fit_politeness.py on the Stanford Politeness Corpus (Wikipedia,\n"
                "# top vs bottom quartile; Danescu-Niculescu-Mizil et al., ACL 2013, CC BY).\n"
                f"# word_scale={word_scale} C={C}; a word's weight counts each time it is said.\n")
        f.write(f"bias\t-\t{best.intercept_[0]:.6f}\n")
        # A word's weight is its coefficient times the scale its feature had.
        weights = [w * (word_scale if n.startswith("w:") else 1.0)
                   for n, w in zip(vectorizer.feature_names_, best.coef_[0])]
        rows = sorted(zip(vectorizer.feature_names_, weights), key=lambda t: (-abs(t[1]), t[0]))
        for name, w in rows:
            if f"{w:.6f}" in ("0.000000", "-0.000000"):
                continue
            kind, _, token = name.partition(":")
            f.write(f"{'strategy' if kind == 's' else 'word'}\t{token}\t{w:.6f}\n")
    print(f"wrote {args.write}")
    for text, p in zip(AGREEMENT_REQUESTS, written_politeness(args.write, features(args.tool, AGREEMENT_REQUESTS))):
        print(f"agreement: {p:+.6f}  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
