#!/usr/bin/python3
"""Fits the politeness model and measures it on the Stanford Politeness Corpus
(Wikipedia requests; Danescu-Niculescu-Mizil et al., ACL 2013).

    scripts/tone/fit_politeness.py [--corpus ../shared/eval/politeness/wikipedia.annotated.csv]
                                   [--tool build/lib/tone/rapport-tone] [--write data/tone/politeness_model.tsv]

The task is the paper's: requests in the top quartile of the normalized
politeness score are polite, those in the bottom quartile impolite, the middle
half is left out. Features are extracted by the C++ engine itself
(`rapport-tone --features`), so the figures measure what the server runs.
Accuracy is 10-fold stratified cross-validation with the regularisation
strength chosen inside each training fold (nested), then the model is fitted
on all labelled requests and written as the data file the server compiles in.
"""
import argparse
import csv
import os
import subprocess
import sys

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load(path):
    rows = list(csv.DictReader(open(path, encoding="utf-8", errors="replace")))
    scores = np.array([float(r["Normalized Score"]) for r in rows])
    low, high = np.percentile(scores, 25), np.percentile(scores, 75)
    texts, labels = [], []
    for r, s in zip(rows, scores):
        if s >= high or s <= low:
            texts.append(r["Request"].replace("\n", " "))
            labels.append(1 if s >= high else 0)
    return texts, np.array(labels)


def features(tool, texts):
    out = subprocess.run([tool, "--features", "--model=/dev/null"], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, check=True).stdout.split("\n")
    dicts = []
    for line in out[: len(texts)]:
        d = {}
        for pair in line.split():
            name, _, value = pair.rpartition("=")
            d[name] = float(value)  # repeated words count once
        dicts.append(d)
    return dicts


def model(C):
    return LogisticRegression(C=C, solver="liblinear", max_iter=2000)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "eval", "politeness",
                                                         "wikipedia.annotated.csv"))
    parser.add_argument("--tool", default=os.path.join(ROOT, "build", "lib", "tone", "rapport-tone"))
    parser.add_argument("--write", default=os.path.join(ROOT, "data", "tone", "politeness_model.tsv"))
    args = parser.parse_args()

    texts, y = load(args.corpus)
    dicts = features(args.tool, texts)
    vectorizer = DictVectorizer()
    X = vectorizer.fit_transform(dicts)
    strategy_cols = [i for i, n in enumerate(vectorizer.feature_names_) if n.startswith("s:")]
    grid = {"C": [0.1, 0.3, 1.0, 3.0]}
    outer = StratifiedKFold(n_splits=10, shuffle=True, random_state=2013)
    inner = StratifiedKFold(n_splits=3, shuffle=True, random_state=7)

    def nested(columns):
        search = GridSearchCV(model(1.0), grid, cv=inner, scoring="accuracy")
        return cross_val_score(search, X[:, columns], y, cv=outer, scoring="accuracy")

    words_and_strategies = nested(list(range(X.shape[1])))
    strategies_only = nested(strategy_cols)
    print(f"requests: {len(texts)} ({y.sum()} polite, {len(y) - y.sum()} impolite); features: {X.shape[1]}")
    print(f"10-fold accuracy, words + strategies: {words_and_strategies.mean():.4f} "
          f"(folds {words_and_strategies.min():.3f}..{words_and_strategies.max():.3f})")
    print(f"10-fold accuracy, strategies only:    {strategies_only.mean():.4f}")

    final = GridSearchCV(model(1.0), grid, cv=outer, scoring="accuracy").fit(X, y)
    best = final.best_estimator_
    print(f"final model: C={final.best_params_['C']}")
    weights = best.coef_[0]
    with open(args.write, "w", encoding="utf-8", newline="\n") as f:
        f.write("# Politeness model: logistic regression over the features of lib/tone/politeness.cc,\n"
                "# fitted by scripts/tone/fit_politeness.py on the Stanford Politeness Corpus (Wikipedia,\n"
                "# top vs bottom quartile; Danescu-Niculescu-Mizil et al., ACL 2013, CC BY).\n")
        f.write(f"bias\t-\t{best.intercept_[0]:.6f}\n")
        rows = sorted(zip(vectorizer.feature_names_, weights), key=lambda t: (-abs(t[1]), t[0]))
        for name, w in rows:
            if abs(w) < 0.02:
                continue
            kind, _, token = name.partition(":")
            f.write(f"{'strategy' if kind == 's' else 'word'}\t{token}\t{w:.6f}\n")
    print(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
