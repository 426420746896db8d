"""``{% stage_list progress.stages %}``: the job page's ten stages, built in Python.

The live panel is polled every 2 s while a writer watches a job; looping over
the stages in the template was ~40 % of rendering it. A job's stage states
take only a few combinations, so each list is built once per process.
"""

from functools import lru_cache

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

_STATE_WORDS = {"done": "Done", "running": "Running", "skipped": "After review"}


@register.simple_tag
def stage_list(stages: list[dict]) -> SafeString:
    return _stage_list(tuple((s["number"], s["label"], s["state"]) for s in stages))


@lru_cache(maxsize=256)
def _stage_list(stages: tuple[tuple[int, str, str], ...]) -> SafeString:
    items = format_html_join(
        "\n",
        '<li class="stage stage--{}"><span class="stage__dot" aria-hidden="true">{}</span>'
        '<span class="stage__label">{}</span><span class="stage__state">{}</span></li>',
        (
            (state, "✓" if state == "done" else number, label, _STATE_WORDS.get(state, "Waiting"))
            for number, label, state in stages
        ),
    )
    return format_html('<ol class="stages">\n{}\n</ol>', items)
