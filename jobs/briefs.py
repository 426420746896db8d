"""Checks of the brief and plan a person submits: a ``Brief`` / plan dict, or a ``JobError``.

Pure (no database): the job services validate before they write, the estimate
selector validates before it prices.
"""

from __future__ import annotations

from typing import Any

from jobs.errors import JobError
from jobs.pipeline import Brief, BriefError, PipelineError
from jobs.pipeline.plan import Plan
from jobs.pipeline.plan_bounds import plan_bound_problems
from narraforge.textclean import clean_data, strip_control_chars


def brief_validate(data: Any) -> Brief:
    """A Brief from user input, or a JobError naming the field at fault.

    Control characters are stripped from every string first (narraforge.textclean),
    so a brief from a command or the API stores and exports like one from the form.
    """
    data = clean_data(data)
    if isinstance(data, dict) and isinstance(data.get("title"), str):
        data["title"] = strip_control_chars(data["title"], multiline=False)
    try:
        return Brief.from_dict(data)
    except BriefError as exc:
        field = getattr(exc, "field", None) or "brief"
        label = field.replace("_", " ")
        detail = str(exc).split(": ", 1)[-1]
        raise JobError(f"The brief's {label} is not valid: {detail}.", field=field) from None


def plan_validate(plan: Any) -> dict[str, Any]:
    try:
        return Plan.from_dict(clean_data(plan)).to_dict()
    except PipelineError as exc:
        raise JobError(str(exc), field="plan") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise JobError(f"The plan is malformed: {exc}.", field="plan") from None


def plan_check_bounds(plan: dict[str, Any], production_type: str) -> None:
    """Refuse a plan that orders more or less than its production type allows (pipeline.plan_bounds)."""
    problems = plan_bound_problems(plan, production_type)
    if problems:
        raise JobError(" ".join(p.message for p in problems), field="plan")
