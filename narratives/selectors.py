"""Reads for narratives, always scoped to a user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page
from django.db import connection
from django.db.models import Exists, F, OuterRef, QuerySet
from django.db.models.fields.json import KeyTransform

from jobs.pipeline.quality import WEIGHTS
from jobs.pipeline.quality import reference as quality_reference

# Re-exported: test_search.py reads the plans of this SQL from here (its home is library_search).
from narratives.library_search import COUNT_HITS_SQL as COUNT_HITS_SQL
from narratives.library_search import HITS_SQL as HITS_SQL
from narratives.library_search import (
    SearchPlan,
    count_hits,
    hits_params,
    hits_q,
    phrase_q,
    search_plan,
    search_planning,
    split_phrases,
)
from narratives.models import Narrative, NarrativeExport
from narratives.paging import CappedPaginator
from narratives.text import chapters_from_text, paragraphs

SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "words": ("-word_count", "-created_at"),
    "quality": (F("overall_quality_score").desc(nulls_last=True), "-created_at"),
}

# What the library list needs: never the text or the metadata (a novel is megabytes).
LIBRARY_FIELDS = (
    "id",
    "title",
    "production_type",
    "genre",
    "word_count",
    "overall_quality_score",
    "version",
    "parent_narrative_id",
    "created_at",
    "view_count",
    "download_count",
    "project_id",
    "project__name",
    "generation_cost_usd",
    "exported_formats",
)


def narratives_for_user(*, user) -> QuerySet[Narrative]:
    return Narrative.objects.filter(user=user)


def narrative_of_user(*, user, narrative_id: str, defer_text: bool = False) -> Narrative | None:
    """The user's narrative, or None (also for another user's id: the caller cannot tell them apart).

    ``defer_text`` leaves the text (megabytes for a saga) in the database until it is read.
    """
    qs = Narrative.objects.select_related("project", "user").filter(pk=narrative_id, user=user)
    if defer_text:
        qs = qs.defer("narrative_text")
    return qs.first()


def narrative_library(
    *,
    user,
    project_id: str | None = None,
    production_type: str | None = None,
    genre: str | None = None,
    latest_only: bool = False,
    query: str = "",
    sort: str = "newest",
    plan: SearchPlan | None = None,
) -> QuerySet[Narrative]:
    """``plan``: ``library_search.search_plan`` of these words (its parameters and the page's
    shape); without one the matches are read from the index (``hits_q``)."""
    qs = narratives_for_user(user=user).select_related("project").only(*LIBRARY_FIELDS)
    if project_id:
        qs = qs.filter(project_id=project_id)
    if production_type:
        qs = qs.filter(production_type=production_type)
    if genre:
        qs = qs.filter(genre=genre)
    if latest_only:
        qs = qs.filter(~Exists(Narrative.objects.filter(parent_narrative_id=OuterRef("pk"))))
    query = (query or "").strip()
    if query:
        words, phrases, excluded = split_phrases(query)
        if words.strip():
            # The SQL is a constant; the user's words travel as bound parameters.
            qs = qs.filter(hits_q(plan or SearchPlan(hits_params(user, words))))
        for phrase in phrases:
            qs = qs.filter(phrase_q(phrase))
        for phrase in excluded:
            qs = qs.exclude(phrase_q(phrase))
        if not words.strip() and not phrases:
            qs = qs.none()
    return qs.order_by(*SORTS.get(sort, SORTS["newest"]))


def narrative_library_page(*, user, page_number: Any = None, per_page: int, **filters: Any) -> Page:
    """One page of the library (evaluated), its count capped (``CappedPaginator``).

    A search is planned with sequential scans discouraged (``search_planning``), in
    the shape ``search_plan`` chooses from the user's counts.
    """
    query = (filters.get("query") or "").strip()
    if not query:
        paginator = CappedPaginator(narrative_library(user=user, **filters), per_page, page_hint=page_number)
        return _evaluated_page(paginator, page_number)
    words, phrases, excluded = split_phrases(query)
    narrowed = any(filters.get(key) for key in ("project_id", "production_type", "genre", "latest_only"))
    words_only = not (phrases or excluded or narrowed)
    with search_planning():
        plan = None
        if words.strip():
            plan = search_plan(
                user=user,
                words=words,
                per_page=per_page,
                page_number=page_number,
                sort=filters.get("sort") or "newest",
                words_only=words_only,
            )
        paginator = CappedPaginator(
            narrative_library(user=user, **filters, plan=plan),
            per_page,
            page_hint=page_number,
            # Words alone: the count is the owner's matches in the index, without joining narratives.
            counter=(lambda limit: count_hits(plan.params, limit)) if plan and words_only else None,
        )
        if plan and plan.count is not None:
            paginator.count = min(plan.count, paginator.limit + 1)  # cached_property: counted already
            if plan.count == 0:
                paginator.object_list = paginator.object_list.none()  # nothing to read
        return _evaluated_page(paginator, page_number)


def _evaluated_page(paginator: CappedPaginator, page_number: Any) -> Page:
    """The page with its rows read. On the first page, one row more than a page is read first:
    a library that fits on one page (most of them) then needs no count query at all."""
    if str(page_number or "1").strip() == "1":
        rows = list(paginator.object_list[: paginator.per_page + 1])
        if len(rows) <= paginator.per_page:
            paginator.count = len(rows)  # cached_property: the value is known
        page = paginator.page(1)  # a longer library: counted (capped), these rows are its first page
        page.object_list = rows[: paginator.per_page]
        return page
    page = paginator.get_page(page_number)
    page.object_list = list(page.object_list)
    return page


# --- the reader --------------------------------------------------------------


@dataclass(frozen=True)
class ReaderChapter:
    number: int
    anchor: str
    title: str
    paragraphs: list[str]
    word_count: int | None


def reader_chapters(narrative: Narrative) -> list[ReaderChapter]:
    """Chapters from the text's ``## `` headings, with word counts from the segment structure."""
    meta = narrative.metadata if isinstance(narrative.metadata, dict) else {}
    planned = {}
    for entry in meta.get("chapters") or []:
        if isinstance(entry, dict) and isinstance(entry.get("index"), int):
            planned[entry["index"]] = entry
    out = []
    for number, chapter in enumerate(chapters_from_text(narrative.narrative_text or ""), start=1):
        info = planned.get(number) or {}
        out.append(
            ReaderChapter(
                number=number,
                anchor=f"ch-{number}",
                title=chapter.title or info.get("title") or f"Chapter {number}",
                paragraphs=paragraphs(chapter.body),
                word_count=info.get("word_count") if isinstance(info.get("word_count"), int) else None,
            )
        )
    return out


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _stage_label(name: str) -> str:
    return str(name).replace("_", " ").strip().capitalize()


_METRIC_ORDER = {name: i for i, name in enumerate(WEIGHTS)}


def reader_panel(narrative: Narrative) -> dict[str, Any]:
    """The side panel's facts, read defensively from the metadata the engine wrote."""
    meta = _as_dict(narrative.metadata)
    world = _as_dict(meta.get("world"))
    characters = [c for c in _as_list(meta.get("characters")) if isinstance(c, dict)]
    structure = _as_dict(meta.get("structure"))

    metrics_source = narrative.quality_metrics if isinstance(narrative.quality_metrics, dict) else None
    if not metrics_source:
        metrics_source = _as_dict(meta.get("quality_metrics"))
    metrics = []
    for name, metric in metrics_source.items():
        if isinstance(metric, dict):
            value, explanation = metric.get("value"), metric.get("explanation") or ""
        else:
            value, explanation = metric, ""
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        metric = metric if isinstance(metric, dict) else {}
        metrics.append(
            {
                "key": name,
                "name": str(metric.get("label") or _stage_label(name)),
                "value": value,
                "display": str(metric.get("display") or ""),
                "typical": str(metric.get("typical") or ""),
                "explanation": str(explanation),
            }
        )

    # The engine writes usage_by_stage and usage_by_tier as {key: {"tokens", "cost_usd", ...}}.
    usage = []
    for stage, info in _as_dict(meta.get("usage_by_stage")).items():
        info = _as_dict(info)
        usage.append(
            {
                "stage": _stage_label(stage),
                "model": info.get("model") or "",
                "tier": info.get("tier") or "",
                "tokens": info.get("tokens") or 0,
                "cost_usd": info.get("cost_usd"),
            }
        )

    tiers = []
    for tier, info in _as_dict(meta.get("usage_by_tier")).items():
        info = _as_dict(info)
        tiers.append(
            {
                "tier": tier,
                "model": info.get("model") or "",
                "tokens": info.get("tokens") or 0,
                "cost_usd": info.get("cost_usd"),
            }
        )

    engine = str(meta.get("engine") or "")
    # Which connection and models wrote this version (connections.services.job_connection_settle).
    wrote_with = _as_dict(meta.get("connection"))
    polish = _as_dict(meta.get("polish"))  # stage 08: which chapters were polished, and why
    polished = [p for p in _as_list(polish.get("polished")) if isinstance(p, dict)]
    return {
        "polish": {
            "mode": polish.get("mode") or "",
            "tier": polish.get("tier") or "",
            "checked": polish.get("checked") or 0,
            "flagged": polish.get("flagged") or 0,
            "polished": [
                {"segment": p.get("segment"), "reasons": [str(r) for r in _as_list(p.get("reasons"))]}
                for p in polished
            ],
        }
        if polish
        else None,
        "engine": engine,
        "engine_label": _engine_label(engine, wrote_with, tiers),
        "wrote_with": wrote_with or None,
        "is_offline": engine == "offline",
        "language": meta.get("language") or "en",
        "world": world,
        "world_locations": [loc for loc in _as_list(world.get("locations")) if isinstance(loc, dict)],
        "characters": characters,
        "structure": structure,
        "acts": [a for a in _as_list(structure.get("acts")) if isinstance(a, dict)],
        # The report's own order (its weights), not whatever order the JSON column keeps.
        "metrics": sorted(metrics, key=lambda m: _METRIC_ORDER.get(m["key"], len(_METRIC_ORDER))),
        "reference_source": quality_reference(str(meta.get("language") or "en")).get("source", ""),
        "usage": usage,
        "tiers": tiers,
    }


def _engine_label(engine: str, wrote_with: dict[str, Any], tiers: list[dict[str, Any]]) -> str:
    """The reader's badge: "Offline engine", or the connection and the model that wrote the prose."""
    if engine == "offline":
        return "Offline engine"
    if engine == "imported":
        return "Imported manuscript"
    models = _as_dict(wrote_with.get("models"))
    writer = str(
        models.get("gpt4") or next((t["model"] for t in tiers if t["tier"] == "gpt4" and t["model"]), "")
    )
    name = str(wrote_with.get("name") or "")
    if name and writer:
        return f"{name} · {writer}"
    if engine == "openai":
        return writer or name or "OpenAI-compatible model"
    return name or engine.capitalize() or "Unknown engine"


# --- versions ----------------------------------------------------------------

_FAMILY_SQL = """
WITH RECURSIVE up(id, parent_narrative_id, depth) AS (
    SELECT id, parent_narrative_id, 0 FROM narratives WHERE id = %(id)s AND user_id = %(user)s
    UNION ALL
    SELECT n.id, n.parent_narrative_id, up.depth + 1
      FROM narratives n JOIN up ON n.id = up.parent_narrative_id
     WHERE n.user_id = %(user)s AND up.depth < 1000
),
root AS (SELECT id FROM up ORDER BY depth DESC LIMIT 1),
down(id, depth) AS (
    SELECT id, 0 FROM root
    UNION ALL
    SELECT n.id, down.depth + 1
      FROM narratives n JOIN down ON n.parent_narrative_id = down.id
     WHERE n.user_id = %(user)s AND down.depth < 1000
)
SELECT id, depth FROM down
"""


def narrative_family(*, narrative: Narrative) -> list[Narrative]:
    """Every version in this narrative's tree (root first, then by depth and date), light fields only."""
    with connection.cursor() as cursor:
        cursor.execute(_FAMILY_SQL, {"id": narrative.pk, "user": narrative.user_id})
        depth = dict(cursor.fetchall())
    family = list(
        Narrative.objects.filter(pk__in=depth.keys(), user_id=narrative.user_id)
        # What made each version (kind, chapters, instructions, engine), without its whole metadata.
        .annotate(revision_info=KeyTransform("revision", "metadata"))
        .only(
            "id",
            "title",
            "version",
            "parent_narrative_id",
            "created_at",
            "word_count",
            "overall_quality_score",
            "production_type",
        )
    )
    versions = {item.pk: item.version or 1 for item in family}
    for item in family:
        item.depth = depth[item.pk]
        item.parent_version = versions.get(item.parent_narrative_id)
    family.sort(key=lambda n: (n.depth, n.version or 0, n.created_at))
    return family


# --- exports -----------------------------------------------------------------


def narrative_export_current(*, narrative: Narrative, fmt: str) -> NarrativeExport | None:
    """The export row of this version (its current ``updated_at``) in this format, if one was asked for."""
    return NarrativeExport.objects.filter(
        narrative_id=narrative.pk,
        fmt=fmt,
        source_updated_at=narrative.updated_at,
        render_version=NarrativeExport.CURRENT_RENDER_VERSION,
    ).first()
