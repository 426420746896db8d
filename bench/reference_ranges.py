"""Measure the quality metrics on real human prose, per language; write ``data/<lang>/reference.json``.

The quality report shows each metric beside the range this script measures
(10th–90th percentile over 2,000-word windows). Only text already on the
machine or in a registry package can be used, and none of it is fiction:

* English — CPython's own documentation (``pydoc_data/topics.py``, shipped
  with every Python), prose paragraphs only (code examples dropped);
* Polish — the Polish manual pages of Debian's ``manpages-pl`` package
  (``apt-get download manpages-pl && dpkg-deb -x manpages-pl_*.deb DIR``),
  prose paragraphs with the roff markup stripped.

Technical prose repeats fewer sentences and has no dialogue; the report says
which source its ranges come from. Usage:

    .venv/bin/python bench/reference_ranges.py --pl-man DIR/usr/share/man/pl [--write]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jobs.pipeline.backends.offline.lang import cliches  # noqa: E402
from jobs.pipeline.measures import (  # noqa: E402
    broken_per_1000,
    flesch,
    mtld,
    repeated_ngrams_per_1000,
    sentence_lengths,
    sentence_repeats,
)
from jobs.pipeline.text import words  # noqa: E402

WINDOW = 2000
SOURCES = {
    "en": ("CPython's documentation (pydoc_data/topics.py), prose paragraphs", "Python's documentation"),
    "pl": ("the Polish manual pages of Debian's manpages-pl, prose paragraphs", "Polish manual pages"),
}


def _paragraphs(lines: list[str]) -> list[str]:
    """Prose paragraphs, each once (manual pages share boilerplate such as the translators' note)."""
    out, cur, seen = [], [], set()
    for line in lines + [""]:
        if line.strip():
            cur.append(line.strip())
        elif cur:
            para = " ".join(cur)
            prose = (
                len(para.split()) >= 12 and para.endswith(".") and not re.search(r"[{}<>=_`|\\]|\(\)", para)
            )
            if prose and para not in seen:
                seen.add(para)
                out.append(para)
            cur = []
    return out


def english() -> str:
    from pydoc_data.topics import topics

    lines = []
    for text in topics.values():
        for line in text.splitlines():
            lines.append("" if line.lstrip().startswith((">>>", "...", "*", "-", "+")) else line)
        lines.append("")
    return "\n\n".join(_paragraphs(lines))


_ROFF_ESC = re.compile(r"\\f[BIRPC]|\\f\(..|\\\(..|\\\[[^\]]*\]|\\[-e&|^ ]|\\s[-+]?\d")


def polish(man_dir: Path) -> str:
    lines = []
    for page in sorted(man_dir.glob("man*/*.gz")):
        with gzip.open(page, "rt", encoding="utf-8", errors="replace") as fh:
            raw = fh.read().splitlines()
        for line in raw:
            line = line.rstrip("\n")
            if line.startswith((".B ", ".I ", ".BR ", ".IR ", ".BI ", ".RB ", ".RI ")):
                line = line.split(" ", 1)[1].replace('"', "")
            elif line.startswith((".", "'")):
                line = (
                    ""
                    if line[:3]
                    in (
                        ".PP",
                        ".SH",
                        ".TP",
                        ".IP",
                        ".LP",
                        ".P",
                        ".SS",
                        ".br",
                        ".sp",
                        ".nf",
                        ".fi",
                        ".RS",
                        ".RE",
                    )
                    else None
                )
                if line is None:
                    continue
            lines.append(_ROFF_ESC.sub("", line))
        lines.append("")
    return "\n\n".join(_paragraphs(lines))


def measure(text: str, language: str) -> dict[str, list[float]]:
    paras = text.split("\n\n")
    windows, cur, n = [], [], 0
    for p in paras:
        cur.append(p)
        n += len(p.split())
        if n >= WINDOW:
            windows.append("\n\n".join(cur))
            cur, n = [], 0
    found: dict[str, list[float]] = {
        k: []
        for k in (
            "repeated_sentences",
            "repeated_4grams",
            "mtld",
            "sentence_cv",
            "cliches",
            "flesch",
            "broken",
        )
    }
    stock = cliches(language)
    for w in windows:
        tokens = words(w.lower())
        vocab: dict[str, int] = {}
        ids = [vocab.setdefault(t, len(vocab)) for t in tokens]
        lengths = sentence_lengths(w)
        mean = sum(lengths) / len(lengths)
        cv = ((sum((x - mean) ** 2 for x in lengths) / len(lengths)) ** 0.5) / mean
        found["repeated_sentences"].append(sentence_repeats(w)[0])
        found["repeated_4grams"].append(repeated_ngrams_per_1000(ids, 4, len(vocab)))
        found["mtld"].append(mtld(tokens))
        found["sentence_cv"].append(cv)
        found["cliches"].append(sum(w.lower().count(c) for c in stock) * 1000 / len(tokens))
        found["broken"].append(broken_per_1000(w))
        if language == "en":
            found["flesch"].append(flesch(tokens, len(lengths)))
    return {k: v for k, v in found.items() if v} | {"_windows": [len(windows)], "_words": [len(words(text))]}


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pl-man", type=Path, help="the usr/share/man/pl folder of an unpacked manpages-pl")
    ap.add_argument("--write", action="store_true", help="write data/<lang>/reference.json")
    args = ap.parse_args()
    texts = {"en": english()}
    if args.pl_man:
        texts["pl"] = polish(args.pl_man)
    for language, text in texts.items():
        found = measure(text, language)
        ranges = {
            k: [round(percentile(v, 0.1), 4), round(percentile(v, 0.9), 4)]
            for k, v in found.items()
            if not k.startswith("_")
        }
        source, short = SOURCES[language]
        out = {
            "source": source,
            "short": short,
            "words": found["_words"][0],
            "windows": found["_windows"][0],
            "window_words": WINDOW,
            "percentiles": "10th–90th",
            "ranges": ranges,
        }
        print(language, json.dumps(out, ensure_ascii=False))
        if args.write:
            path = ROOT / "jobs" / "pipeline" / "data" / language / "reference.json"
            path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
