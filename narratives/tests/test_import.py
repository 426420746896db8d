"""Importing a manuscript (issue 16 §5): chapters from headings, labelled imported, bad files refused."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from jobs.pipeline.plan import Plan
from narraforge.errors import UserFacingError
from narratives.chapters import chapter_spans
from narratives.edit_services import chapter_for_edit, narrative_edit_chapter
from narratives.import_services import narrative_import
from narratives.manuscript import MAX_UPLOAD_BYTES, read_manuscript
from narratives.models import Narrative
from narratives.text import chapters_from_text
from projects.models import Project

STORY = [
    (
        "The Harbour",
        "Mara walked to the harbour. The gulls cried over Mara and Tomas.\n\nTomas waited by the boat.",
    ),
    (
        "The Crossing",
        "The sea was grey. Mara held the rope while Tomas steered.\n\nNobody spoke of the debt.",
    ),
    ("Landfall", "They reached the island at dusk. Mara laughed; Tomas did not."),
]


def docx_bytes(chapters=STORY, *, title: str | None = "The Salt Road", style: str = "Heading 1") -> bytes:
    import docx

    document = docx.Document()
    if title:
        document.add_paragraph(title, style="Title")
    for heading, body in chapters:
        document.add_paragraph(heading, style=style)
        for para in body.split("\n\n"):
            document.add_paragraph(para)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def markdown_bytes() -> bytes:
    parts = ["# The Salt Road", ""]
    for heading, body in STORY:
        parts += [f"## {heading}", "", body, ""]
    return "\n".join(parts).encode()


@pytest.fixture
def project(owner):
    return Project.objects.create(user=owner, name="Dunes", default_genre="fantasy")


# --- heading detection, per format ---------------------------------------------


def test_markdown_headings_make_chapters_and_the_single_top_heading_is_the_title() -> None:
    manuscript = read_manuscript(markdown_bytes(), "salt.md")
    assert manuscript.title == "The Salt Road" and manuscript.kind == "markdown"
    assert [c.title for c in manuscript.chapters] == ["The Harbour", "The Crossing", "Landfall"]
    assert manuscript.chapters[0].body.split("\n\n") == [
        "Mara walked to the harbour. The gulls cried over Mara and Tomas.",
        "Tomas waited by the boat.",
    ]


def test_several_top_level_headings_are_each_a_chapter() -> None:
    text = "# One\n\nFirst.\n\n# Two\n\nSecond.\n"
    manuscript = read_manuscript(text.encode(), "book.md")
    assert manuscript.title == "" and [c.title for c in manuscript.chapters] == ["One", "Two"]


@pytest.mark.parametrize(
    "headings",
    [
        ["Chapter 1", "Chapter 2", "Chapter 3"],
        ["CHAPTER I: The Well", "CHAPTER II", "Chapter Three. Night"],
        ["Rozdział 1", "Rozdział 2 — Studnia", "ROZDZIAŁ III"],
    ],
)
def test_chapter_n_lines_in_plain_text_make_chapters(headings) -> None:
    text = "\n\n".join(f"{h}\n\nSome words of chapter {i}.\nA wrapped line." for i, h in enumerate(headings))
    manuscript = read_manuscript(text.encode(), "book.txt")
    assert [c.title for c in manuscript.chapters] == headings
    # Hard-wrapped lines are one paragraph.
    assert manuscript.chapters[1].body == "Some words of chapter 1. A wrapped line."


def test_a_chapter_word_inside_a_sentence_is_not_a_heading() -> None:
    text = "## One\n\nChapter 3 of her life began that day, she thought.\n"
    manuscript = read_manuscript(text.encode(), "a.txt")
    assert len(manuscript.chapters) == 1


def test_docx_heading_styles_make_chapters_and_title_style_the_title() -> None:
    manuscript = read_manuscript(docx_bytes(), "Salt Road.docx")
    assert manuscript.kind == "docx" and manuscript.title == "The Salt Road"
    assert [c.title for c in manuscript.chapters] == ["The Harbour", "The Crossing", "Landfall"]
    assert manuscript.chapters[1].body.endswith("Nobody spoke of the debt.")


def test_docx_chapter_n_paragraphs_in_normal_style_make_chapters() -> None:
    chapters = [(f"Chapter {i}", f"Body {i} with words.") for i in (1, 2)]
    manuscript = read_manuscript(docx_bytes(chapters, title=None, style="Normal"), "b.docx")
    assert [c.title for c in manuscript.chapters] == ["Chapter 1", "Chapter 2"]


def test_text_without_headings_is_one_chapter_with_a_note() -> None:
    manuscript = read_manuscript(b"Just a story.\n\nIn two paragraphs.", "my_story.txt")
    assert len(manuscript.chapters) == 1 and "No chapter headings" in manuscript.notes[0]


def test_text_before_the_first_heading_is_kept_as_an_opening() -> None:
    manuscript = read_manuscript(b"A prologue line.\n\n## One\n\nFirst.", "a.md")
    assert [c.title for c in manuscript.chapters] == ["Opening", "One"]


def test_utf8_bom_and_utf16_text_are_read() -> None:
    text = "## Łódź\n\nZażółć gęślą jaźń."
    assert read_manuscript(b"\xef\xbb\xbf" + text.encode(), "a.txt").chapters[0].title == "Łódź"
    assert read_manuscript(text.encode("utf-16"), "a.txt").chapters[0].body == "Zażółć gęślą jaźń."


# --- refusals -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "cover.txt", "not text"),
        (b"%PDF-1.7 ...", "book.txt", "This is a PDF"),
        (b"## One\n\nwords", "book.pdf", "Upload a .txt, .md or .docx file"),
        (b"## One\n\nwords", "book.docx", "is not a Word document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.txt", "old Word (.doc)"),
        ("Zażółć".encode("cp1250") + b" text", "latin.txt", "not UTF-8 text"),
        (b"   \n\n ", "empty.txt", "empty"),
        (b"## One\n\n## Two\n", "hollow.md", "no text under them"),
    ],
)
def test_files_that_are_not_a_manuscript_are_refused_by_content(data, name, message) -> None:
    with pytest.raises(UserFacingError, match=re.escape(message)):
        read_manuscript(data, name)


def test_a_zip_that_is_not_a_word_document_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(UserFacingError, match="ZIP archive but not a Word document"):
        read_manuscript(out.getvalue(), "notes.docx")


def test_a_file_over_the_limit_is_refused() -> None:
    with pytest.raises(UserFacingError, match="the limit is 5 MB"):
        read_manuscript(b"a" * (MAX_UPLOAD_BYTES + 1), "big.txt")


# --- the service ----------------------------------------------------------------


def test_an_imported_narrative_is_labelled_and_carries_a_valid_plan(owner, project) -> None:
    narrative, _ = narrative_import(user=owner, project=project, filename="Salt Road.docx", data=docx_bytes())
    assert narrative.version == 1 and narrative.project_id == project.pk and narrative.job_id is None
    assert narrative.title == "The Salt Road" and narrative.genre == "fantasy"
    assert narrative.production_type == "short_story"
    assert narrative.metadata["engine"] == "imported"
    assert narrative.generation_cost_usd == 0 and narrative.tokens_used == 0
    plan = Plan.from_dict(narrative.metadata["plan"])  # what regenerate / continue / revise read
    assert [s.title for s in plan.segments] == ["The Harbour", "The Crossing", "Landfall"]
    assert {c.name for c in plan.characters} == {"Mara", "Tomas"}
    assert plan.segments[1].characters == ["Mara", "Tomas"]
    assert [c.title for c in chapters_from_text(narrative.narrative_text)] == [s.title for s in plan.segments]
    assert narrative.word_count == sum(c["word_count"] for c in narrative.metadata["chapters"])
    project.refresh_from_db()
    assert project.narrative_count == 1 and project.total_word_count == narrative.word_count


def test_an_imported_narrative_uses_the_projects_world_and_cast_when_it_has_one(
    owner, project, make_narrative
):
    from jobs.pipeline import Brief, get_backend, run_pipeline
    from projects.services import world_adopt_from_result

    brief = Brief.from_dict(
        {"production_type": "short_story", "genre": "fantasy", "inspiration": "A courier crosses dunes."}
    )
    world_adopt_from_result(
        project=project, metadata=run_pipeline(brief, backend=get_backend("offline")).metadata
    )
    narrative, _ = narrative_import(user=owner, project=project, filename="s.md", data=markdown_bytes())
    assert narrative.metadata["import"]["world"] == "project"
    project.refresh_from_db()
    from projects.selectors import world_for_project

    canon = world_for_project(project)
    assert narrative.metadata["plan"]["world"]["name"] == canon["world"]["name"]


def test_an_imported_narrative_can_be_edited_like_any_other(owner, project) -> None:
    narrative, _ = narrative_import(user=owner, project=project, filename="s.md", data=markdown_bytes())
    base = chapter_for_edit(narrative=narrative, number=2).base
    child = narrative_edit_chapter(narrative=narrative, number=2, title="", body="A calmer sea.", base=base)
    spans, before = chapter_spans(child.narrative_text), chapter_spans(narrative.narrative_text)
    assert spans[0].slice(child.narrative_text) == before[0].slice(narrative.narrative_text)
    assert child.metadata["engine"] == "imported" and child.version == 2


def test_a_bad_file_writes_nothing(owner, project) -> None:
    with pytest.raises(UserFacingError):
        narrative_import(user=owner, project=project, filename="x.txt", data=b"\x00\x01\x02binary")
    assert not Narrative.objects.exists()
    project.refresh_from_db()
    assert (project.narrative_count or 0) == 0


def test_another_users_project_is_refused(owner, other_user) -> None:
    theirs = Project.objects.create(user=other_user, name="Theirs")
    with pytest.raises(UserFacingError, match="not yours"):
        narrative_import(user=owner, project=theirs, filename="s.md", data=markdown_bytes())
    assert not Narrative.objects.exists()


# --- the page -----------------------------------------------------------------


def test_the_owner_imports_a_docx_through_the_page(owner_client, project) -> None:
    url = reverse("narratives:import")
    page = owner_client.get(url + f"?project={project.pk}").content.decode()
    assert "at most 5 MB" in page and "Import a manuscript" in page
    upload = SimpleUploadedFile("Salt Road.docx", docx_bytes(), content_type="application/octet-stream")
    response = owner_client.post(
        url, {"project": project.pk, "file": upload, "title": "", "genre": "fantasy"}
    )
    narrative = Narrative.objects.get()
    assert response.status_code == 302 and response.url == reverse("narratives:detail", args=[narrative.pk])
    reader = owner_client.get(response.url).content.decode()
    assert "Imported “The Salt Road”: 3 chapters" in reader
    assert "Imported manuscript" in reader and "Landfall" in reader


def test_a_bad_upload_gets_a_clear_message_and_writes_nothing(owner_client, project) -> None:
    upload = SimpleUploadedFile("cover.docx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    response = owner_client.post(
        reverse("narratives:import"), {"project": project.pk, "file": upload, "genre": "fantasy"}
    )
    assert response.status_code == 400 and "is not a Word document" in response.content.decode()
    assert not Narrative.objects.exists()


def test_an_upload_over_the_limit_is_refused_before_it_is_stored(owner_client, project) -> None:
    upload = SimpleUploadedFile("big.txt", b"word " * (MAX_UPLOAD_BYTES // 5 + 10))
    response = owner_client.post(
        reverse("narratives:import"), {"project": project.pk, "file": upload, "genre": "fantasy"}
    )
    html = response.content.decode()
    assert response.status_code == 413 and "This file is too big: the limit is 5 MB" in html
    assert "This field is required" not in html  # the fields after the file were never read
    assert not Narrative.objects.exists()


def test_a_200_mb_request_is_refused_without_reading_its_body(owner_client, project) -> None:
    class Unreadable(io.RawIOBase):
        def read(self, *args):  # pragma: no cover - the point is that nobody calls it
            raise AssertionError("the body was read")

    response = owner_client.generic(
        "POST",
        reverse("narratives:import"),
        data=b"",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413 and "200.0 MB; the limit is 5 MB" in response.content.decode()
    assert not Narrative.objects.exists()


def test_another_users_project_cannot_be_chosen(owner_client, project, other_user) -> None:
    theirs = Project.objects.create(user=other_user, name="Theirs")
    upload = SimpleUploadedFile("s.md", markdown_bytes())
    response = owner_client.post(
        reverse("narratives:import"), {"project": theirs.pk, "file": upload, "genre": "fantasy"}
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not Narrative.objects.exists()


def test_the_page_asks_for_a_project_first_when_there_is_none(owner_client) -> None:
    assert "Create a project" in owner_client.get(reverse("narratives:import")).content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client) -> None:
    response = client.get(reverse("narratives:import"))
    assert response.status_code == 302 and "login" in response.url


# --- the command --------------------------------------------------------------


def test_the_command_imports_a_file_for_a_user_and_project(owner, project, tmp_path, capsys) -> None:
    path = tmp_path / "salt.md"
    path.write_bytes(markdown_bytes())
    call_command(
        "import_manuscript", str(path), "--user", owner.email, "--project", "Dunes", "--title", "Salt"
    )
    narrative = Narrative.objects.get()
    assert narrative.title == "Salt" and narrative.project_id == project.pk
    assert narrative.pk in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody@example.com", "--project", "Dunes"], "No user"),
        (["--user", "owner@example.com", "--project", "Nope"], "has no project"),
    ],
)
def test_the_command_refuses_unknown_users_and_projects(owner, project, tmp_path, args, message) -> None:
    path = tmp_path / "salt.md"
    path.write_bytes(markdown_bytes())
    with pytest.raises(CommandError, match=message):
        call_command("import_manuscript", str(path), *args)
    assert not Narrative.objects.exists()


def test_the_command_refuses_a_bad_file_with_the_same_message(owner, project, tmp_path) -> None:
    path = tmp_path / "cover.txt"
    path.write_bytes(b"\x89PNG\x00\x00")
    with pytest.raises(CommandError, match="not text"):
        call_command("import_manuscript", str(path), "--user", owner.email, "--project", "Dunes")
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (MAX_UPLOAD_BYTES + 1))
    with pytest.raises(CommandError, match="the limit is 5 MB"):
        call_command("import_manuscript", str(big), "--user", owner.email, "--project", "Dunes")
    assert not Narrative.objects.exists()
