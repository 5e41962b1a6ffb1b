#!/usr/bin/python3
"""Fits the politeness model and measures it on the Stanford Politeness Corpus
(Danescu-Niculescu-Mizil et al., ACL 2013): in domain on its Wikipedia
requests, and across domains on the half of its Stack Exchange requests that
the project keeps for validation (the other half is held out).

    scripts/tone/fit_politeness.py [--corpus ../shared/eval/politeness/wikipedia.annotated.csv]
                                   [--validation ../shared/eval/politeness/stack-exchange.dev.csv]
                                   [--tool build/lib/tone/rapport-tone] [--write data/tone/politeness_model.tsv]

Needs Debian's python3-sklearn (and so python3-numpy and python3-scipy).

The task is the paper's: in each community, requests in the top quartile of the
normalized politeness score are polite, those in the bottom quartile impolite,
the middle half is left out. Features are extracted by the C++ engine itself
(`rapport-tone --features`) and counted as the engine counts them (a word said
twice adds its weight twice), so the figures measure what the server runs.

The model is trained on Wikipedia only, and what carries over is chosen:
- `shift`: a Wikipedia-trained model reads another community's requests as
  less polite than they are, since the cues Wikipedia requests lean on
  (greetings, thanks, wiki vocabulary) are rarer there; on Stack Exchange it
  read 63% of the validation requests, half of them polite, as impolite. With
  `shift=mean`, the weights are kept orthogonal to the difference between the
  mean feature vector of the Wikipedia requests and that of the other
  community's unlabelled requests (the middle half of the validation file,
  whose requests are never scored), one direction for the strategies and one
  for the words: moving a request from one community to the other then moves
  its score by nothing on average, so the zero set on Wikipedia (below) holds
  in both. `none` fits the features as they are.
- `min_requests`: a word is a feature only if at least that many Wikipedia
  requests use it (rare words are topic, not politeness);
- `C`: the inverse L2 regularisation strength.
Every point is fitted on all of the community's requests, the middle half
labelled by the median score (see Model); it is measured, as the paper does,
on the quartiles only.
Every point of the grid is measured by 10-fold cross-validation on Wikipedia
and by its accuracy on the Stack Exchange validation half when trained on all
of Wikipedia. Among the points that keep 82% in domain, those within one
point (the noise of the validation half) of the best across domains are
equally good; the best of them in domain is chosen. The model of that point,
fitted on all labelled Wikipedia requests, is written as the data file the
server compiles in. Stack Exchange -> Wikipedia is the same recipe with the
two communities swapped.

The validation figure of the chosen point is optimistic: it is the best of a
grid measured on the same requests. The script also prints a nested estimate
free of that selection: the validation half is split at random into two
stratified halves (NESTED_SPLITS fixed seeds), the point is chosen by the same
rule on one half and measured on the other; the mean and spread of those
figures are what to expect on requests the choice has not seen.
"""
import argparse
import csv
import os
import subprocess
import sys
from collections import Counter

import numpy as np
from scipy.sparse import vstack
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EVAL = os.path.join(ROOT, "..", "shared", "eval", "politeness")

SHIFTS = ["none", "mean"]
MIN_REQUESTS = [5, 20]
CS = [0.1, 0.3, 1.0]
MIN_IN_DOMAIN = 0.82
CROSS_DOMAIN_NOISE = 0.01
NESTED_SPLITS = 200


def load(path):
    """The top and bottom quartile requests of a corpus file, their labels, the
    requests of the middle half, and their labels when the corpus is split at
    its median score instead (which training uses: see Model)."""
    rows = list(csv.DictReader(open(path, encoding="utf-8", errors="replace")))
    scores = np.array([float(r["Normalized Score"]) for r in rows])
    low, high = np.percentile(scores, 25), np.percentile(scores, 75)
    median = np.median(scores)
    texts, labels, middle, middle_labels = [], [], [], []
    for r, s in zip(rows, scores):
        text = r["Request"].replace("\r", " ").replace("\n", " ")
        if s >= high or s <= low:
            texts.append(text)
            labels.append(1 if s >= high else 0)
        else:
            middle.append(text)
            middle_labels.append(1 if s > median else 0)
    return texts, np.array(labels), middle, np.array(middle_labels)


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


class Space:
    """The feature columns of one training community: every strategy, and the
    words used by at least `min_requests` of its requests."""

    def __init__(self, dicts, min_requests):
        used = Counter(k for d in dicts for k in d if k.startswith("w:"))
        self.keep = lambda k: not k.startswith("w:") or used[k] >= min_requests
        self.vectorizer = DictVectorizer()
        self.vectorizer.fit([{k: v for k, v in d.items() if self.keep(k)} for d in dicts])
        self.is_word = np.array([n.startswith("w:") for n in self.vectorizer.feature_names_])

    def matrix(self, dicts):
        return self.vectorizer.transform([{k: v for k, v in d.items() if self.keep(k)} for d in dicts])


def shift_directions(X_own, X_other, is_word):
    """Unit vectors from the other community's mean request to this one's, over
    the strategies and over the words separately."""
    d = np.asarray(X_own.mean(axis=0)).ravel() - np.asarray(X_other.mean(axis=0)).ravel()
    dirs = []
    for part in (is_word, ~is_word):
        u = np.where(part, d, 0.0)
        if np.linalg.norm(u) > 0:
            dirs.append(u / np.linalg.norm(u))
    return dirs


def project(X, dirs):
    """X with the components along `dirs` (orthonormal) removed; dense."""
    X = X.toarray() if hasattr(X, "toarray") else X
    for u in dirs:
        X = X - np.outer(X @ u, u)
    return X


class Model:
    """A logistic regression whose bias puts the median request of the middle
    half, neither polite nor impolite, at politeness 0: a plain request reads
    as neutral rather than as falling short of the politest ones. With shift
    'mean' its weights are orthogonal to the shift directions, so the same
    weights apply to the raw features.

    It is fitted on every request of the training community, the middle half
    too, labelled polite above the median score (`y_middle`): twice the
    requests, and a direction that orders the plain ones as well as the
    extremes, which carries over better (Wikipedia -> Stack Exchange ROC AUC
    0.714 against 0.706 for the quartiles alone; nested estimate +0.6 point).
    Its scale is that of the quartiles-only fit at the same point, so
    politeness spreads as before and the impoliteness term of rudeness reads
    the scale it was tuned on."""

    def __init__(self, shift, C, X, y, X_middle, y_middle, X_other, is_word):
        dirs = shift_directions(vstack([X, X_middle]), X_other, is_word) if shift == "mean" else []
        X_all = vstack([X, X_middle]).tocsr()
        fitted = LogisticRegression(C=C, solver="liblinear", max_iter=2000).fit(
            project(X_all, dirs) if dirs else X_all, np.concatenate([y, y_middle]))
        w = fitted.coef_[0]
        for u in dirs:  # the weights the raw features see: P·w
            w = w - (w @ u) * u
        # Only the direction comes from this fit; the scale is that of the
        # quartiles-only fit at the same point (spread over the same
        # requests), so politeness reads as it did and rudeness's
        # impoliteness term, tuned on that scale, flags as before. Accuracy
        # depends on the sign alone and does not move with the scale.
        quartile = LogisticRegression(C=C, solver="liblinear", max_iter=2000).fit(project(X, dirs) if dirs else X, y)
        w_quartile = quartile.coef_[0]
        for u in dirs:
            w_quartile = w_quartile - (w_quartile @ u) * u
        self.weights = w * (np.std(np.asarray(X_all @ w_quartile)) / np.std(np.asarray(X_all @ w)))
        self.bias = 0.0
        self.bias = -np.median(self.decision(X_middle))

    def decision(self, X):
        return np.asarray(X @ self.weights).ravel() + self.bias

    def accuracy(self, X, y):
        return float(((self.decision(X) > 0).astype(int) == y).mean())


def choose(grid, cross):
    """The index of the chosen grid point, given each point's accuracy across
    domains (`cross`). On 1,646 validation requests one point of accuracy is
    within the noise (its standard error is about 1.2 points), so every point
    that holds in domain and comes within one point of the best across domains
    is as good a choice; of those, the best in domain (then the more
    regularised) wins."""
    eligible = [i for i, g in enumerate(grid) if g["in_domain"] >= MIN_IN_DOMAIN]
    best_cross = max(cross[i] for i in eligible)
    close = [i for i in eligible if cross[i] >= best_cross - CROSS_DOMAIN_NOISE]
    return max(close, key=lambda i: (round(grid[i]["in_domain"], 6), -grid[i]["C"]))


def nested_estimate(grid, y):
    """Accuracies on one random stratified half of the validation requests of
    the point chosen on the other half, one per seed."""
    polite, impolite = np.where(y == 1)[0], np.where(y == 0)[0]
    figures = []
    for seed in range(NESTED_SPLITS):
        rng = np.random.RandomState(seed)
        p, q = rng.permutation(polite), rng.permutation(impolite)
        select = np.concatenate([p[: len(p) // 2], q[: len(q) // 2]])
        measure = np.concatenate([p[len(p) // 2:], q[len(q) // 2:]])
        accuracy = [float(((g["decision"][select] > 0) == y[select]).mean()) for g in grid]
        chosen = grid[choose(grid, accuracy)]
        figures.append(float(((chosen["decision"][measure] > 0) == y[measure]).mean()))
    return np.array(figures)


def cross_validate(shift, C, X, y, X_middle, y_middle, X_other, is_word, folds):
    return float(np.mean([Model(shift, C, X[train], y[train], X_middle, y_middle, X_other, is_word)
                          .accuracy(X[test], y[test])
                          for train, test in folds.split(X, y)]))


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

    wiki_texts, yw, wiki_middle_texts, ywm = load(args.corpus)
    se_texts, ys, se_middle_texts, ysm = load(args.validation)
    wiki, se = features(args.tool, wiki_texts), features(args.tool, se_texts)
    wiki_middle, se_middle = features(args.tool, wiki_middle_texts), features(args.tool, se_middle_texts)
    print(f"Wikipedia: {len(yw)} requests ({yw.sum()} polite, {len(yw) - yw.sum()} impolite); "
          f"Stack Exchange validation half: {len(ys)} ({ys.sum()} polite)")
    folds = StratifiedKFold(n_splits=10, shuffle=True, random_state=2013)

    print("shift  min_requests     C  Wikipedia 10-fold  Wikipedia -> Stack Exchange")
    grid = []
    for min_requests in MIN_REQUESTS:
        space = Space(wiki + wiki_middle, min_requests)
        Xw, Xs, Xm, Xsm = (space.matrix(d) for d in (wiki, se, wiki_middle, se_middle))
        for shift in SHIFTS:
            for C in CS:
                in_domain = cross_validate(shift, C, Xw, yw, Xm, ywm, Xsm, space.is_word, folds)
                model = Model(shift, C, Xw, yw, Xm, ywm, Xsm, space.is_word)
                cross = model.accuracy(Xs, ys)
                grid.append(dict(shift=shift, min_requests=min_requests, C=C, in_domain=in_domain, cross=cross,
                                 decision=model.decision(Xs)))
                print(f"{shift:5s} {min_requests:13d} {C:5.1f}  {in_domain:17.4f}  {cross:26.4f}", flush=True)

    chosen = grid[choose(grid, [g["cross"] for g in grid])]
    shift, min_requests, C = chosen["shift"], chosen["min_requests"], chosen["C"]
    in_domain, cross = chosen["in_domain"], chosen["cross"]
    se_space = Space(se + se_middle, min_requests)
    se_model = Model(shift, C, se_space.matrix(se), ys, se_space.matrix(se_middle), ysm, se_space.matrix(wiki_middle),
                     se_space.is_word)
    se_to_wiki = se_model.accuracy(se_space.matrix(wiki), yw)
    print(f"chosen: shift={shift} min_requests={min_requests} C={C}: Wikipedia 10-fold {in_domain:.4f}, "
          f"Wikipedia -> Stack Exchange {cross:.4f}, Stack Exchange -> Wikipedia {se_to_wiki:.4f}")
    nested = nested_estimate(grid, ys)
    print(f"nested estimate of Wikipedia -> Stack Exchange ({NESTED_SPLITS} random halves, chosen on one, measured on "
          f"the other): mean {nested.mean():.4f}, sd {nested.std():.4f}, 5th-95th percentile "
          f"{np.percentile(nested, 5):.4f}-{np.percentile(nested, 95):.4f}")

    space = Space(wiki + wiki_middle, min_requests)
    best = Model(shift, C, space.matrix(wiki), yw, space.matrix(wiki_middle), ywm, space.matrix(se_middle), space.is_word)
    with open(args.write, "w", encoding="utf-8", newline="\n") as f:
        f.write("# Politeness model: logistic regression over the features of lib/tone/politeness.cc,\n"
                "# fitted by scripts/tone/fit_politeness.py on the Stanford Politeness Corpus (Wikipedia, every\n"
                "# request, polite above the median score; Danescu-Niculescu-Mizil et al., ACL 2013, CC BY).\n"
                f"# shift={shift} min_requests={min_requests} C={C}; a word's weight counts each time it is said.\n")
        f.write(f"bias\t-\t{best.bias:.6f}\n")
        rows = sorted(zip(space.vectorizer.feature_names_, best.weights), key=lambda t: (-abs(t[1]), t[0]))
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
