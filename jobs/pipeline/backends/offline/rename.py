"""Renaming a character in a written narrative, without a model.

Every mention of the old name becomes the new one: the full name, and the
first name alone when it is unique in the cast. In Polish the inflected forms
follow too ("Kazimierza" → "Antoniego") when the dictionary knows both first
names (``morph_pl``); otherwise only the forms spelled as the name is are
replaced, and ``rename_in_text`` says so.
"""

from __future__ import annotations

import re

from . import morph_pl


def _forms_pl(old: str, new: str) -> dict[str, str]:
    """Old form → new form in the same case and number, from the dictionary."""
    mapping: dict[str, str] = {}
    old_forms: dict[str, str] = {}
    gen = morph_pl._morfeusz().generate  # noqa: SLF001 — the one analyser of this process
    for orth, _lemma, tag, kinds, *_ in gen(old):
        if "imię" in kinds and ":sg:" in f":{tag}:":
            old_forms.setdefault(tag, orth)
    new_by_tag = {}
    for orth, _lemma, tag, kinds, *_ in gen(new):
        if "imię" in kinds and ":sg:" in f":{tag}:":
            new_by_tag.setdefault(tag, orth)
    for tag, orth in old_forms.items():
        if tag in new_by_tag and orth != old:
            mapping.setdefault(orth, new_by_tag[tag])  # "Kazimierzu" is locative before vocative
    return mapping


def rename_in_text(
    text: str, old: str, new: str, *, language: str, first_name_unique: bool
) -> tuple[str, bool]:
    """``text`` with ``old`` renamed ``new``; the flag says whether inflected forms were covered."""
    pairs = [(old, new)]
    if first_name_unique and len(old.split()) > 1:
        pairs.append((old.split()[0], new.split()[0]))
    inflected = language != "pl"
    if language == "pl":
        forms = _forms_pl(old.split()[0], new.split()[0])
        inflected = bool(forms)
        pairs += list(forms.items())
    for a, b in sorted(pairs, key=lambda p: -len(p[0])):
        text = re.sub(rf"(?<![\w-]){re.escape(a)}(?![\w-])", b, text)
    return text, inflected
