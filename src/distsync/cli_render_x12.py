"""How ``distsync edi`` shows X12 files and their problems."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from distsync.cli_render import console, say
from distsync.formats.x12.inspect import Inspection
from distsync.formats.x12.problems import Problem, Severity


def summary(found: Inspection) -> None:
    out = console()
    for interchange in found.reader.interchanges:
        d = interchange.delimiters
        say(
            f"interchange {interchange.control}: {'/'.join(interchange.sender())} → "
            f"{'/'.join(interchange.receiver())}, version {interchange.version}, "
            f"delimiters {d.element!r} {d.component!r} {d.segment!r} {d.repetition!r}",
            "bold",
        )
        table = Table("group", "function", "version", "set", "control", "segments")
        for group in interchange.groups:
            for item in group.sets:
                sets = [s for s in found.sets if s.transaction.group is group]
                size = next(
                    (
                        len(s.transaction.segments)
                        for s in sets
                        if s.transaction.control == item.control
                    ),
                    "",
                )
                table.add_row(
                    group.control,
                    group.functional_id,
                    group.version,
                    item.set_id,
                    item.control,
                    str(size),
                )
        out.print(table)
    problems(found.problems)


def problems(found: Sequence[Problem]) -> None:
    if not found:
        say("no problems", "green")
        return
    table = Table("severity", "where", "code", "ack", "problem")
    for problem in found:
        style = "red" if problem.severity == Severity.ERROR else "yellow"
        table.add_row(
            f"[{style}]{problem.severity.value}[/{style}]",
            str(problem.location),
            problem.code,
            problem.ack_code or "",
            problem.message,
        )
    console().print(table)
    errors = sum(p.severity == Severity.ERROR for p in found)
    say(f"{errors} error(s), {len(found) - errors} warning(s)", "red" if errors else "yellow")
