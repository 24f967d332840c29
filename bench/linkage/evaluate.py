"""Scores pair files against the true links, and prints one table for all tools.

    python evaluate.py LEFT.csv RIGHT.csv TRUE_LINKS.csv NAME=PAIRS.csv[:WALL_S:PEAK_KB] ...

Each pairs file has left_id,right_id,match_probability for every blocked pair. For each tool it
prints precision, recall and F1 at match probability 0.5 and at the threshold chosen without
labels, the blocked pairs, the true pairs lost by blocking, and the time and memory given.

The label-free threshold is the same rule for every tool: take pairs in order of probability
and stop where the F1 the tool's own probabilities predict (2 * sum(p of kept) / (kept + sum of
all p)) is highest. Only the tool's probabilities are used, never the labels.

Standard library only, so it runs outside the Splink virtual environment too.
"""

import csv
import sys


def ids(path):
    with open(path, newline="") as f:
        return {row[0].strip() for i, row in enumerate(csv.reader(f)) if i > 0 and row}


def read_pairs(path, left_ids):
    pairs = {}
    with open(path, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for a, b, p in reader:
            # Orient each pair as (record of the left file, record of the right file).
            key = (a, b) if a in left_ids else (b, a)
            pairs[key] = float(p)
    return pairs


def label_free_threshold(probabilities):
    ps = sorted(probabilities, reverse=True)
    total = sum(ps)
    best, threshold, kept = -1.0, 0.5, 0.0
    for k, p in enumerate(ps, start=1):
        kept += p
        f1 = 2 * kept / (k + total)
        if f1 > best:
            best, threshold = f1, p
    return threshold


def scores(pairs, truth, threshold):
    predicted = {k for k, p in pairs.items() if p >= threshold}
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return precision, recall, f1


def main(left, right, links, runs):
    left_ids = ids(left)
    with open(links, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        truth = {(a.strip(), b.strip()) for a, b in reader}
    rows = []
    for run in runs:
        name, rest = run.split("=", 1)
        path, *extra = rest.split(":")
        pairs = read_pairs(path, left_ids)
        t = label_free_threshold(pairs.values())
        rows.append((name, pairs, t, extra))
    print(f"{'tool':<10} {'threshold':>11} {'precision':>10} {'recall':>8} {'F1':>8} "
          f"{'blocked':>8} {'lost':>5} {'wall s':>7} {'peak MB':>8}")
    for name, pairs, t, extra in rows:
        lost = len(truth - set(pairs))
        wall = extra[0] if extra else "-"
        peak = f"{int(extra[1]) / 1024:.0f}" if len(extra) > 1 else "-"
        for label, threshold in (("p>=0.5", 0.5), (f"p>={t:.4f}", t)):
            p, r, f1 = scores(pairs, truth, threshold)
            print(f"{name:<10} {label:>11} {p:>10.4f} {r:>8.4f} {f1:>8.4f} "
                  f"{len(pairs):>8} {lost:>5} {wall:>7} {peak:>8}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
