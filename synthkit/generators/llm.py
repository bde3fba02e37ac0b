"""An adapter that turns any callable language model (``prompt -> text``) into a generator.

The callable can be a local model, an API client the user already has, or a
deterministic function in a test: synthkit never downloads or calls a model
itself. For each synthetic row:

1. the label columns are drawn as for every text generator (see
   :mod:`synthkit.generators._text`: real label combinations by default,
   ``conditions`` met exactly);
2. for each text column, ``examples`` real documents with the row's ``by``
   label are chosen at random (seeded; a label with fewer than ``min_docs`` real
   documents takes its examples from all the documents, and the prompt still
   names the label);
3. the prompt is ``prompt_template`` filled with ``{examples}`` (one per line,
   each starting with ``- ``), ``{n_examples}``, ``{column}`` and ``{label}``
   (e.g. ``"mood = storm"``, or ``"any"``);
4. the callable's answer is cleaned into one document: surrounding blanks, a
   leading list mark (``-``, ``*``, ``1.``) and matching surrounding quotes are
   removed; when no real document of the column spans several lines, only the
   first non-empty line is kept. Answers longer than ``MAX_TEXT_CHARS`` are cut.
   An answer that is empty after cleaning becomes a missing value, and a
   ``SynthkitWarning`` says how many there were.

Rows are written one after another. If the callable raises, or returns
something that is not a string, :class:`LLMError` names the callable and the
row, and carries the rows finished before it in ``error.partial`` (a frame
with the schema's columns, ``error.done`` rows); ``sk.generate`` also wraps them
as ``error.batch``. Nothing already generated is lost: keep the partial batch
and ask for the remaining rows with another ``random_state``.
"""

from __future__ import annotations

import inspect
import re
import string
import warnings
from typing import Any, Callable

import numpy as np
import polars as pl

from .._checks import check_int
from ..data import MAX_TEXT_CHARS, Schema
from ..errors import GeneratorError, SynthkitWarning
from ._text import Key, TextGenerator
from .base import check_temperature, finalize

DEFAULT_TEMPLATE = (
    "Here are {n_examples} examples of {column} ({label}):\n"
    "{examples}\n"
    "Write one new {column} in the same style. Reply with the text only."
)
_FIELDS = {"examples", "n_examples", "column", "label"}
_LIST_MARK = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])(?:\s+|$)")
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}


class LLMError(GeneratorError):
    """The wrapped callable failed; ``partial`` holds the rows finished before the failure.

    ``done`` is how many rows that is (``partial`` is ``None`` when none were),
    ``asked`` how many were asked for; ``sk.generate`` adds ``batch``, the
    finished rows as a Batch (``None`` when none were finished).
    """

    def __init__(self, message: str, partial: pl.DataFrame | None = None, done: int = 0, asked: int = 0):
        super().__init__(message)
        self.partial = partial
        self.done = done
        self.asked = asked
        self.batch = None


class _Pool:
    """The real documents prompts take their examples from."""

    def __init__(self, docs: list[str]):
        self.docs = docs


def callable_name(fn: Any) -> str:
    """A readable name for a callable (function, bound method or object with ``__call__``)."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__qualname__
    return str(name)


class LLMGenerator(TextGenerator):
    """Write text with any callable ``fn(prompt) -> str`` (a language model), prompted with real rows.

    Parameters
    ----------
    fn : the callable; it receives one prompt string and must return a string.
    prompt_template : a ``str.format`` template using ``{examples}`` (required),
        ``{n_examples}``, ``{column}`` and ``{label}``.
    examples : real documents shown in each prompt (fewer when the label has fewer).
    temperature : ``None`` (default) calls ``fn(prompt)``; a number calls
        ``fn(prompt, temperature=...)``, so ``fn`` must accept that keyword.
    by, min_docs, tabular : as for every text generator (module docstring).
    """

    name = "llm"
    summary = "wraps any callable language model (prompt -> text), prompted with real rows of the same label"
    key_params = ("examples", "temperature", "by")

    def __init__(self, fn: Callable[[str], str] | None = None, prompt_template: str = DEFAULT_TEMPLATE,
                 examples: int = 3, temperature: float | None = None, by: Any = "auto", min_docs: int = 3,
                 tabular: str = "bootstrap"):
        self.fn = fn
        self.prompt_template = prompt_template
        self.examples = examples
        self.temperature = temperature
        self.by = by
        self.min_docs = min_docs
        self.tabular = tabular

    # ------------------------------------------------------------------ fit
    def _check_params(self) -> None:
        fn = self.fn
        if fn is None or not callable(fn):
            raise GeneratorError(
                f"fn={fn!r} must be a callable that takes a prompt string and returns text, e.g. "
                "LLMGenerator(fn=lambda prompt: client.complete(prompt))"
            )
        check_int("examples", self.examples, minimum=1, maximum=100, error=GeneratorError,
                  hint=" (real documents shown in each prompt)")
        tpl = self.prompt_template
        if not isinstance(tpl, str):
            raise GeneratorError(f"prompt_template must be a string, got {type(tpl).__name__}")
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(tpl) if f is not None}
        except ValueError as exc:
            raise GeneratorError(f"prompt_template is not a valid format string ({exc}); "
                                 "write literal braces as {{ and }}") from None
        if "examples" not in fields:
            raise GeneratorError("prompt_template must contain {examples}, where the real documents go")
        unknown = fields - _FIELDS
        if unknown:
            raise GeneratorError(
                f"prompt_template uses unknown field(s) {sorted(unknown)}; it may use {sorted(_FIELDS)} "
                "(write literal braces as {{ and }})"
            )
        if self.temperature is not None:
            check_temperature(self.temperature)
            if not _takes_keyword(fn, "temperature"):
                raise GeneratorError(
                    f"temperature={self.temperature} is passed as fn(prompt, temperature=...), and "
                    f"{callable_name(fn)} takes no temperature keyword; pass temperature=None or wrap it"
                )

    def _fit(self, features: pl.DataFrame, schema: Schema) -> None:
        super()._fit(features, schema)
        self.multiline_ = {c: bool(features[c].drop_nulls().str.contains("\n").any()) for c in schema.text}

    def _fit_text(self, docs: list[str], key: Key) -> _Pool:
        return _Pool(docs)

    # ------------------------------------------------------------------ sample
    def _sample(self, n: int, rng: np.random.Generator, conditions: dict | None) -> pl.DataFrame:
        labels = self._draw_labels(n, rng, conditions)
        cond = tuple(sorted((conditions or {}).items()))
        keys = self._row_keys(labels, cond)
        cols = self.schema_.text
        blank = {c: rng.random(n) < self.null_rate_[c] for c in cols}
        texts: dict[str, list[str | None]] = {c: [] for c in cols}
        empty = 0
        for i in range(n):
            try:
                for c in cols:
                    if blank[c][i]:
                        texts[c].append(None)
                        continue
                    doc = self._one(c, keys[i], rng, i, n)
                    empty += doc is None
                    texts[c].append(doc)
            except LLMError as exc:
                for c in cols:
                    del texts[c][i:]
                exc.partial = self._frame(labels.head(i), texts) if i else None
                exc.done, exc.asked = i, n
                raise
        if empty:
            warnings.warn(f"{callable_name(self.fn)} returned {empty} empty text(s) (after cleaning); "
                          "they are missing values in the batch", SynthkitWarning, stacklevel=4)
        return self._frame(labels, texts)

    def _frame(self, labels: pl.DataFrame, texts: dict[str, list]) -> pl.DataFrame:
        cols = {c: pl.Series(c, v, dtype=pl.String) for c, v in texts.items()}
        out = labels.with_columns(**cols).select(self.schema_.columns)
        return finalize(out, self.schema_)

    def prompt(self, column: str, key: Key, rng: np.random.Generator) -> str:
        """The prompt for one document of ``column`` with label values ``key`` (examples drawn with ``rng``)."""
        docs = self._model(column, key).docs
        k = min(int(self.examples), len(docs))
        pick = np.sort(rng.choice(len(docs), size=k, replace=False))
        examples = "\n".join("- " + " ".join(docs[j].split()) for j in pick)
        label = ", ".join(f"{c} = {v}" for c, v in key) or "any"
        return self.prompt_template.format(examples=examples, n_examples=k, column=column, label=label)

    def _one(self, column: str, key: Key, rng: np.random.Generator, i: int, n: int) -> str | None:
        prompt = self.prompt(column, key, rng)
        who = callable_name(self.fn)
        done = f"the {i} row(s) already generated are in error.partial" if i else "no row was finished"
        try:
            if self.temperature is None:
                answer = self.fn(prompt)
            else:
                answer = self.fn(prompt, temperature=float(self.temperature))
        except Exception as exc:  # noqa: BLE001 - any failure of the user's callable is reported
            raise LLMError(f"fn {who} raised {type(exc).__name__}({exc}) on row {i + 1} of {n}; {done}. "
                           "Fix or retry the callable, and ask for the remaining rows with another "
                           "random_state") from exc
        if not isinstance(answer, str):
            raise LLMError(f"fn {who} returned {type(answer).__name__} ({str(answer)[:60]!r}) on row {i + 1} of "
                           f"{n}; it must return a str (the generated text). {done}")
        return clean(answer, one_line=not self.multiline_[column])


def clean(text: str, one_line: bool = True) -> str | None:
    """One document from a model's answer (see the module docstring); ``None`` when nothing is left."""
    text = text.strip()
    if one_line:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        text = lines[0].strip() if lines else ""
    text = _LIST_MARK.sub("", text, count=1).strip()
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        text = text[1:-1].strip()
    text = text[:MAX_TEXT_CHARS]
    return text or None


def _takes_keyword(fn: Any, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: let the call decide
        return True
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


class RemixModel:
    """A deterministic stand-in for a language model, for teaching and offline tests.

    ``RemixModel()(prompt)`` reads the example lines of a prompt (lines starting
    with ``- ``, as :class:`LLMGenerator` writes them) and answers with the
    first part of one example joined to the last part of another: text in the
    style of the examples, partly copied word for word, as small models often
    write. The choice depends only on the prompt and ``random_state``, so the
    same prompt gets the same answer. Replace it with your own model's client.
    """

    def __init__(self, random_state: int = 0):
        self.random_state = check_int("random_state", random_state, minimum=0)

    def __call__(self, prompt: str) -> str:
        if not isinstance(prompt, str):
            raise TypeError(f"RemixModel takes a prompt string, got {type(prompt).__name__}")
        lines = [ln[2:].strip() for ln in prompt.splitlines() if ln.startswith("- ") and ln[2:].strip()]
        if not lines:
            return ""
        import hashlib

        h = hashlib.sha256(f"{self.random_state}:{prompt}".encode()).digest()
        a, b = lines[h[0] % len(lines)].split(), lines[h[1] % len(lines)].split()
        cut_a = 1 + h[2] % max(1, len(a))
        cut_b = h[3] % max(1, len(b))
        return " ".join(a[:cut_a] + b[cut_b:])

    def __repr__(self) -> str:
        return f"RemixModel(random_state={self.random_state})"
