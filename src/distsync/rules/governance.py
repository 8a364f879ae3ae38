"""Source-of-truth governance: only the system of record may change the data it owns.

The landscape file's ``ownership:`` section maps an object and field group to
the system that owns it, by name or by glob over system names::

    ownership:
      item: erp                 # the whole item ...
      item.content: pim         # ... except its content, which the PIM owns
      stock.on_hand: wms-*      # any WMS

:func:`check_update` decides an inbound update (an object type, the field
groups it touches, the system it came from). Each field group is owned by the
most specific key that covers it (``item.content`` before ``item``), matched
with ``fnmatch.fnmatchcase``; a field group no key covers is free for anyone.
An update that names no field groups touches the whole object: every owned
group of it. If any group it touches belongs to another system, the whole
update is refused with ``not_system_of_record`` for a data steward, never
applied in part.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from distsync.errors import BusinessException, NotSystemOfRecord, Resolution
from distsync.rules.exceptions import discard

__all__ = ["FieldGroupRule", "UpdateDecision", "check_update", "owner_of"]


@dataclass(frozen=True)
class FieldGroupRule:
    """Who owns one touched subject (``item.financial``) and whether the sender may change it.

    ``key`` is the ownership key that decided and ``owner`` its system or
    glob; both None when no key covers the subject.
    """

    subject: str
    key: str | None
    owner: str | None
    allowed: bool


@dataclass(frozen=True)
class UpdateDecision:
    """The decision on one inbound update: per subject, and the exception when refused."""

    document_ref: str
    object_type: str
    source_system: str
    subjects: tuple[FieldGroupRule, ...]
    problems: tuple[BusinessException, ...]

    @property
    def allowed(self) -> bool:
        """True when the sender owns (or nobody owns) everything the update touches."""
        return not self.problems

    @property
    def refused(self) -> tuple[FieldGroupRule, ...]:
        """The subjects the sender does not own."""
        return tuple(rule for rule in self.subjects if not rule.allowed)

    def exception(self) -> BusinessException | None:
        """What the update is parked with, or None."""
        return self.problems[0] if self.problems else None


def owner_of(ownership: Mapping[str, str], subject: str) -> tuple[str, str] | None:
    """The most specific ``(key, owner)`` covering ``subject`` (``item.financial``), if any."""
    parts = subject.split(".")
    for end in range(len(parts), 0, -1):
        key = ".".join(parts[:end])
        owner = ownership.get(key)
        if owner is not None:
            return key, owner
    return None


def check_update(
    ownership: Mapping[str, str],
    *,
    object_type: str,
    field_groups: Iterable[str],
    source_system: str,
    document_ref: str,
) -> UpdateDecision:
    """Decide whether ``source_system`` may apply an update of ``object_type``'s field groups."""
    subjects = _subjects(ownership, object_type, tuple(field_groups))
    rules = tuple(_rule(ownership, subject, source_system) for subject in subjects)
    refused = [rule for rule in rules if not rule.allowed]
    problems = (_refusal(document_ref, object_type, source_system, refused),) if refused else ()
    return UpdateDecision(document_ref, object_type, source_system, rules, problems)


def _subjects(ownership: Mapping[str, str], object_type: str, groups: tuple[str, ...]) -> list[str]:
    if groups:
        return [f"{object_type}.{group}" for group in dict.fromkeys(groups)]
    inside = sorted(key for key in ownership if key.startswith(f"{object_type}."))
    return [object_type, *inside]


def _rule(ownership: Mapping[str, str], subject: str, source: str) -> FieldGroupRule:
    found = owner_of(ownership, subject)
    if found is None:
        return FieldGroupRule(subject, None, None, True)
    key, owner = found
    return FieldGroupRule(subject, key, owner, fnmatchcase(source, owner))


def _refusal(
    ref: str, object_type: str, source: str, refused: list[FieldGroupRule]
) -> BusinessException:
    owners = sorted({rule.owner or "" for rule in refused})
    owned = "; ".join(f"{rule.subject} is owned by {rule.owner} ({rule.key})" for rule in refused)
    facts = {
        "object": object_type,
        "source_system": source,
        "owners": ", ".join(owners),
        "refused": ", ".join(rule.subject for rule in refused),
        "problem_key": f"not_system_of_record:{source}/{object_type}",
    }
    facts |= {f"owner.{rule.subject}": rule.owner or "" for rule in refused}
    return NotSystemOfRecord(
        f"{ref}: {source} may not change {object_type}: {owned}",
        document_ref=ref,
        resolutions=(
            discard(),
            Resolution(
                "accept_from_owner",
                f"Keep the values of {', '.join(owners)}, the system of record, and ask it "
                "for the change",
            ),
            Resolution("replay", "Change the ownership in the landscape file, then replay"),
        ),
        facts=facts,
    )
