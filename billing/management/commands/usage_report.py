from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.csvsafe import csv_lines
from billing.selectors import month_bounds, parse_month, usage_report

COLUMNS = ("operations", "generations", "planning", "tokens", "cost")


class Command(BaseCommand):
    help = "Per-user and per-project usage totals for one month (UTC), as a table or CSV."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--month", metavar="YYYY-MM", help="The month to report; this month by default.")
        parser.add_argument("--format", choices=("table", "csv"), default="table")

    def handle(self, *args, month: str | None, format: str, **options) -> None:
        if month:
            try:
                start, end = parse_month(month)
            except ValueError as exc:
                raise CommandError(f"--month: {exc}")
        else:
            start, end = month_bounds(timezone.now())
        report = usage_report(start, end)
        if format == "csv":
            self._csv(report)
        else:
            self._table(report, f"{start:%Y-%m}")

    def _csv(self, report) -> None:
        rows = []
        for r in report["users"]:
            rows.append(["user", r["email"] or "", "", r["tier"] or "", *self._nums(r)])
        for r in report["projects"]:
            name = r["project_name"] if r["project_key"] else "(deleted project)"
            rows.append(["project", r["email"] or "", name, "", *self._nums(r)])
        header = ["scope", "user", "project", "tier", *COLUMNS[:-1], "cost_usd"]
        for line in csv_lines(header, rows):
            self.stdout.write(line, ending="")

    @staticmethod
    def _nums(r) -> list:
        return [r["operations"], r["generations"], r["planning"], r["tokens"], f"{r['cost']:.6f}"]

    def _table(self, report, label: str) -> None:
        out = self.stdout
        out.write(f"Usage for {label} (UTC)\n")
        total = sum(r["cost"] for r in report["users"])
        out.write(f"{len(report['users'])} users, total ${total:,.4f}\n\n")
        self._rows(
            "Per user",
            ["User", "Tier", "Ops", "Gens", "Plans", "Tokens", "Cost"],
            [[r["email"] or "—", r["tier"] or "", *self._fmt(r)] for r in report["users"]],
        )
        out.write("\n")
        self._rows(
            "Per project",
            ["User", "Project", "Ops", "Gens", "Plans", "Tokens", "Cost"],
            [
                [r["email"] or "—", r["project_name"] if r["project_key"] else "(deleted)", *self._fmt(r)]
                for r in report["projects"]
            ],
        )

    @staticmethod
    def _fmt(r) -> list[str]:
        return [
            str(r["operations"]),
            str(r["generations"]),
            str(r["planning"]),
            f"{r['tokens']:,}",
            f"${r['cost']:,.4f}",
        ]

    def _rows(self, title: str, header: list[str], rows: list[list[str]]) -> None:
        out = self.stdout
        out.write(f"{title}\n")
        if not rows:
            out.write("  (no usage)\n")
            return
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]

        def line(cells) -> str:
            padded = [
                str(c).rjust(w) if i >= 2 else str(c).ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ]
            return "  ".join(padded).rstrip()

        out.write(line(header) + "\n")
        out.write("  ".join("-" * w for w in widths) + "\n")
        for row in rows:
            out.write(line(row) + "\n")
