"""Text embeddings: synthkit's Embedder against the same step done by hand.

    .venv/bin/python benchmarks/text_embed.py [--docs 10000] [--repeat 3]

Each case runs in a fresh process (so the peak resident memory is its own),
on the first ``--docs`` documents of ``sk.load("shakespeare")`` (repeated if
more are asked for), side by side in one run:

- ``Embedder("wordllama")`` (sparse count matrix x embedding table, chunks of
  1,024 documents) against ``WordLlama.load(...).embed(texts, norm=True)``
  (padded token batches of 64), the reference it must equal;
- ``Embedder("tfidf")`` (hashed TF-IDF and a seeded random projection) against
  what a user would write by hand: scikit-learn's ``TfidfVectorizer`` +
  ``TruncatedSVD(256)`` + row normalisation.

Reported per case: the model load (wordllama reads its weights once per
process), the median embed time of ``--repeat`` runs (fit + transform for
TF-IDF; a fresh Embedder each time, so its small result cache does not help),
and the peak resident set size above the process's size after loading the
documents and importing the libraries (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

CASES = ("synthkit-wordllama", "wordllama-direct", "synthkit-tfidf", "sklearn-tfidf-svd")


def _docs(n: int) -> list[str]:
    import synthkit as sk

    texts = sk.load("shakespeare").frame["text"].to_list()
    return (texts * (n // len(texts) + 1))[:n]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_case(case: str, n: int, repeat: int) -> dict:
    docs = _docs(n)
    import numpy as np
    from sklearn.decomposition import TruncatedSVD  # noqa: F401 - imports outside the timing
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: F401

    from synthkit.text import embed as em

    if "wordllama" in case:
        import wordllama  # noqa: F401 - the import is not part of the model load
    base = _rss_mb()
    load = 0.0
    if case == "synthkit-wordllama":
        t = time.perf_counter()
        em._wordllama()
        load = time.perf_counter() - t
        embed = lambda: em.Embedder("wordllama").fit(docs).transform(docs)  # noqa: E731
    elif case == "wordllama-direct":
        import wordllama
        from wordllama import WordLlama

        t = time.perf_counter()
        wl = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
        load = time.perf_counter() - t
        embed = lambda: wl.embed(docs, norm=True)  # noqa: E731
    elif case == "synthkit-tfidf":
        embed = lambda: em.Embedder("tfidf", random_state=0).fit(docs).transform(docs)  # noqa: E731
    else:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        def embed():
            x = TfidfVectorizer(sublinear_tf=True, dtype=np.float32).fit_transform(docs)
            y = TruncatedSVD(256, random_state=0).fit_transform(x).astype(np.float32)
            return y / np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = embed()
        times.append(time.perf_counter() - t)
    np.save(f"/tmp/synthkit-bench-{case}.npy", np.asarray(out, dtype=np.float32), allow_pickle=False)
    return {"case": case, "docs": n, "load_s": load, "embed_s": statistics.median(times),
            "peak_mb": _rss_mb() - base, "dim": int(np.asarray(out).shape[1])}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--case", choices=CASES)
    a = ap.parse_args()
    if a.case:
        print(json.dumps(run_case(a.case, a.docs, a.repeat)))
        return
    import numpy as np

    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env.pop(var, None)  # no proxy: nothing may be downloaded
    res = {}
    for case in CASES:
        out = subprocess.run([sys.executable, __file__, "--case", case, "--docs", str(a.docs),
                              "--repeat", str(a.repeat)], capture_output=True, text=True, env=env, check=True)
        res[case] = json.loads(out.stdout.strip().splitlines()[-1])
    same = np.abs(np.load("/tmp/synthkit-bench-synthkit-wordllama.npy")
                  - np.load("/tmp/synthkit-bench-wordllama-direct.npy")).max()
    print(f"{a.docs:,} documents, median of {a.repeat}; peak = resident memory above the loaded documents")
    print(f"{'case':<22} {'load s':>7} {'embed s':>8} {'peak MB':>8} {'dim':>4}")
    for r in res.values():
        print(f"{r['case']:<22} {r['load_s']:7.2f} {r['embed_s']:8.2f} {r['peak_mb']:8.1f} {r['dim']:4d}")
    w, d = res["synthkit-wordllama"], res["wordllama-direct"]
    t, s = res["synthkit-tfidf"], res["sklearn-tfidf-svd"]
    print(f"wordllama: synthkit / direct time {w['embed_s'] / d['embed_s']:.2f}x, "
          f"peak {w['peak_mb']:.0f} vs {d['peak_mb']:.0f} MB; vectors equal to {same:.1e}")
    print(f"tfidf: synthkit / sklearn by hand time {t['embed_s'] / s['embed_s']:.2f}x, "
          f"peak {t['peak_mb']:.0f} vs {s['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
