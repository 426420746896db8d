"""The worker's side of the cost ceiling: the pipeline's ``before_spend`` callback.

Before every model call that may cost money the engine passes the call's
worst case; this grows the job's reservation (``billing.reservations``) or
returns the sentence the job stops with. Calls that fit in what the job has
reserved already (its estimate) cost no database round trip.
"""

from __future__ import annotations

from billing.reservations import reservation_grow, reservation_of
from jobs.db_retry import with_db_retry

CEILING_MESSAGE = (
    "Paused before the next step to keep you within your monthly cost limit of {limit}: "
    "it could cost up to {worst} and {left} is left, counting your other jobs that "
    "are running. Everything written so far is kept. Resume this job when you have room again — "
    "when your other jobs finish, after the monthly reset, or on a larger plan (the usage page "
    "shows your limits)."
)
CAP_MESSAGE = (
    "Paused before the next step: this job has reached the {cap} a single job may spend. "
    "Everything written so far is kept; a shorter length or a smaller plan fits within it."
)


def _usd(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


class CeilingGuard:
    """``before_spend(worst_usd, run_spent_usd)`` for one attempt of one job."""

    def __init__(
        self, *, job_id: str, user_id: str, base_cost_usd: float, cap_total_usd: float | None = None
    ) -> None:
        self.job_id = job_id
        self.user_id = user_id
        self.base_cost_usd = base_cost_usd  # earlier attempts' spend that the run's ledger does not hold
        self.cap_total_usd = cap_total_usd
        self.reserved_usd = with_db_retry(lambda: reservation_of(job_id=job_id), what="reservation read")
        self.grows = 0  # how often the reservation had to grow (a figure for benches)

    def __call__(self, worst_usd: float, run_spent_usd: float) -> str | None:
        spent = self.base_cost_usd + run_spent_usd
        if spent + worst_usd <= self.reserved_usd + 1e-9:
            return None  # within what this job holds already: nobody else can take it
        grant = with_db_retry(
            lambda: reservation_grow(
                job_id=self.job_id,
                user_id=self.user_id,
                spent_total_usd=spent,
                worst_usd=worst_usd,
                cap_total_usd=self.cap_total_usd,
            ),
            what=f"cost reservation of job {self.job_id}",
        )
        self.reserved_usd = grant.reserved_usd
        self.grows += 1
        if grant.ok:
            return None
        if grant.reason == "cap":
            return CAP_MESSAGE.format(cap=_usd(self.cap_total_usd or 0.0))
        return CEILING_MESSAGE.format(
            limit=_usd(grant.limit_usd or 0.0), worst=_usd(worst_usd), left=_usd(grant.left_usd)
        )
