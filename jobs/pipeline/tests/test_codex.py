"""The codex section of a drafting prompt: relevant entries by plan and by mention, bounded."""

from __future__ import annotations

from jobs.pipeline import Brief, get_backend, run_pipeline
from jobs.pipeline.codex import CODEX_TOKENS, CodexEntry, codex_entries, codex_section, mentions, relevant
from jobs.pipeline.plan import Plan, SegmentPlan

from .conftest import make_brief

MIRA = {
    "kind": "character",
    "name": "Mira Vell",
    "aliases": ["the keeper"],
    "role": "lighthouse keeper",
    "description": "Salt-grey hair; she limps since the winter of the wreck",
    "relationships": "Tomas: her younger brother",
}
WORLD = {
    "world": {"name": "Tidewater", "locations": [{"name": "Bell Tower", "description": "It leans."}]},
    "characters": [{"name": "Mira Vell", "role": "lighthouse keeper", "gender": "f"}],
    "codex": [
        MIRA,
        {"kind": "character", "name": "Tomas", "description": "Quick hands, slow temper."},
        {"kind": "place", "name": "Salt Archive", "description": "A drowned library."},
        {
            "kind": "lore",
            "name": "The drowned bells",
            "aliases": ["bells"],
            "description": "They ring at ebb.",
        },
    ],
}


def _seg(**kw) -> SegmentPlan:
    data = dict(index=2, act=1, title="Ebb", summary="", key_events=[], characters=[], location="Harbour")
    data.update(target_words=800)
    data.update(kw)
    return SegmentPlan(**data)


def _plan(brief: Brief) -> Plan:
    result = run_pipeline(brief, backend=get_backend("offline"))
    return Plan.from_dict(result.plan)


def test_entries_come_from_the_briefs_codex_and_the_plan_overlays_names_and_roles():
    plan = _plan(make_brief(review_plan=True, world=WORLD))
    entries = codex_entries(WORLD, plan)
    by_name = {e.name: e for e in entries}
    assert by_name["Mira Vell"].aliases == ("the keeper",)
    assert by_name["Mira Vell"].description.startswith("Salt-grey hair")
    assert by_name["The drowned bells"].kind == "lore"
    # Every planned character and place is an entry too, codex or not.
    assert {c.name for c in plan.characters} <= set(by_name)
    assert {loc.name for loc in plan.world.locations} <= set(by_name)


def test_an_entry_is_relevant_by_plan_by_mention_or_by_the_previous_text():
    entries = [
        CodexEntry(**{k: tuple(v) if k == "aliases" else v for k, v in e.items()}) for e in WORLD["codex"]
    ]
    on_stage = _seg(characters=["Mira Vell"])
    assert [e.name for e in relevant(entries, on_stage, "")][:1] == ["Mira Vell"]
    mentioned = _seg(summary="Tomas rows to the Salt Archive.", characters=["Ada"])
    names = [e.name for e in relevant(entries, mentioned, "")]
    assert names[:2] == ["Tomas", "Salt Archive"] and "Mira Vell" not in names
    by_alias = _seg(characters=["Ada"])
    assert "Mira Vell" in [
        e.name for e in relevant(entries, by_alias, "Ada waved. The keeper's lamp went out.")
    ]
    assert "Mira Vell" not in [e.name for e in relevant(entries, by_alias, "Ada waved. Nobody came.")]
    # Lore nothing mentions still comes, last.
    assert [e.name for e in relevant(entries, by_alias, "")] == ["The drowned bells"]


def test_mentions_are_whole_words_possessives_and_polish_inflections():
    mira = CodexEntry("character", "Mira", ("Vell",))
    assert mentions(mira, "Mira's lamp") and mentions(mira, "the Vell house")
    assert not mentions(mira, "Miranda came") and not mentions(mira, "Mirage")
    assert mentions(mira, "Poszedł do Miry, potem rozmawiał z Mirą.", "pl")
    assert not mentions(mira, "Mirabelka", "pl")


def test_the_section_names_what_the_bible_does_not_and_stays_within_its_budget():
    seg = _seg(characters=["Mira Vell"])
    text = codex_section(
        [CodexEntry("character", "Mira Vell", ("the keeper",), "keeper", MIRA["description"])], seg, ""
    )
    assert "Mira Vell (also the keeper) — keeper. Salt-grey hair" in text
    # A bare name adds nothing the bible's cast line does not already say.
    assert codex_section([CodexEntry("character", "Mira Vell", role="keeper")], seg, "") == ""
    many = [
        CodexEntry("lore", f"Rule {i}", description="A long rule of the world that must hold. " * 8)
        for i in range(300)
    ]
    section = codex_section(many, seg, "")
    assert 0 < len(section) <= CODEX_TOKENS * 4


def test_offline_prose_introduces_a_codex_character_in_the_writers_words():
    brief = make_brief(world=WORLD, inspiration="Mira Vell keeps the light at Bell Tower.")
    result = run_pipeline(brief, backend=get_backend("offline"))
    assert "Mira Vell — salt-grey hair; she limps since the winter of the wreck." in result.text
    assert result.text.count("salt-grey hair") == 1  # introduced once, where she first comes on stage


def test_a_codex_character_with_only_a_name_still_gives_a_model_a_valid_plan_keeping_the_writers_fields():
    from jobs.pipeline import EngineConfig
    from jobs.pipeline.connection import Connection, JsonModeMemory
    from jobs.pipeline.testing import FakeChatServer

    world = {
        "world": {"name": "Tidewater", "locations": [{"name": "Bell Tower", "description": "It leans."}]},
        "characters": [{"name": "Mira Vell", "role": "lighthouse keeper", "goal": ""}, {"name": "Tomas"}],
    }
    with FakeChatServer() as server:
        config = EngineConfig(
            connection=Connection(base_url=server.base_url, api_key=server.api_key),
            json_modes=JsonModeMemory(),
        )
        result = run_pipeline(
            make_brief(review_plan=True, world=world), backend=get_backend("openai", config), config=config
        )
    plan = Plan.from_dict(result.plan)  # every field the plan requires is there
    mira, tomas = plan.characters[:2]
    assert (mira.name, mira.role, tomas.name) == ("Mira Vell", "lighthouse keeper", "Tomas")
    assert mira.goal and mira.arc and mira.voice and tomas.contradictions[0]
