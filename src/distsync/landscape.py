"""Read a landscape file and report every problem in it with its line and column.

The YAML is composed into nodes first: they give the position of every key
and value, and show keys given twice (``yaml.safe_load`` keeps the last one
silently). The data is validated by the ``distsync.config`` models, and each
pydantic error's ``loc`` is followed down to the nearest key the file has.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from distsync.config import (
    DOCUMENT_TYPE_PATTERN,
    ENV_VAR_PATTERN,
    INTERNAL_FIELDS,
    NAME_PATTERN,
    OWNERSHIP_KEY_PATTERN,
    Landscape,
    Scalar,
    SystemConfig,
    build_landscape,
)
from distsync.errors import ConfigError

SystemValidator = Callable[[Mapping[str, Scalar]], object]
Loc = tuple[str | int, ...]
Position = tuple[int, int]
KNOWN_FLOWS = (
    "procure", "orders", "order_to_cash", "inventory", "logistics", "master_data", "reconcile",
    "shipping",
)  # fmt: skip

_PATTERN_HINTS = {
    NAME_PATTERN: "names use lower-case letters, digits, '_', '.' and '-'",
    DOCUMENT_TYPE_PATTERN: "should be a document type such as x12-850, json-order or csv-stock",
    ENV_VAR_PATTERN: "should be the name of an environment variable, such as ERP_PASSWORD",
    OWNERSHIP_KEY_PATTERN: "should be an object and field group such as item.financial",
}


@dataclass(frozen=True)
class Problem:
    """One error or warning: where it is (file, 1-based line and column), which key, what."""

    path: str
    line: int | None
    column: int | None
    key: str
    message: str

    @property
    def location(self) -> str:
        """``file:line:column``, or the file alone when the problem has no position."""
        return self.path if self.line is None else f"{self.path}:{self.line}:{self.column}"

    @property
    def detail(self) -> str:
        """``key: message``, or the message alone when it concerns the whole file."""
        return f"{self.key}: {self.message}" if self.key else self.message

    def __str__(self) -> str:
        return f"{self.location}: {self.detail}"


@dataclass
class CheckReport:
    """What ``check_landscape`` found; ``landscape`` is set only when there are no errors."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    landscape: Landscape | None = None

    @property
    def ok(self) -> bool:
        """True when the file has no errors (it may have warnings)."""
        return not self.errors


class LandscapeError(ConfigError):
    """The landscape file is wrong; ``problems`` lists every error, in file order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        first = problems[0]
        if len(problems) == 1:
            super().__init__(first.detail, location=first.location)
        else:
            listed = "\n".join(f"  {problem}" for problem in problems)
            super().__init__(f"{len(problems)} problems:\n{listed}", location=first.path)
        self.problems = tuple(problems)


@dataclass
class _Document:
    """Positions of every key path in the file, and the keys given twice."""

    shown: str
    marks: dict[tuple[str, ...], tuple[Position, Position]] = field(default_factory=dict)
    duplicates: list[Problem] = field(default_factory=list)

    def problem(self, loc: Loc, message: str, *, at_key: bool = False) -> Problem:
        """A problem placed at the deepest part of ``loc`` the file really has."""
        matched: tuple[str, ...] = ()
        shown: list[str] = []
        for part in map(str, loc):
            if len(shown) == len(matched) and (*matched, part) in self.marks:
                matched = (*matched, part)
            elif part in INTERNAL_FIELDS or part == "[key]":
                continue
            shown.append(part)
        at_key_mark, at_value_mark = self.marks[matched]
        exact = len(shown) == len(matched) and not at_key and loc[-1:] != ("[key]",)
        line, column = at_value_mark if exact else at_key_mark
        return Problem(self.shown, line, column, ".".join(shown), message)


class _Fatal(Exception):
    """A problem that stops the check: the file cannot be read as a landscape at all."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _whole(shown: str, message: str) -> _Fatal:
    return _Fatal(Problem(shown, None, None, "", message))


def validate_system_options(
    type_name: str, options: Mapping[str, Scalar], validators: Mapping[str, SystemValidator]
) -> list[tuple[Loc, str]]:
    """Check one system's type-specific keys; the connector registry plugs in here.

    ``validators`` maps each system ``type`` to a callable that takes the
    system's type-specific keys (everything except the common keys ``type``,
    ``url``, ``rate_limit``, ``concurrency``, ``timeout_seconds`` and the
    ``*_env`` / ``*_file`` secret references) and raises
    ``pydantic.ValidationError`` or ``ValueError`` when they are wrong. A
    connector registered with ``@register_connector(name, config=Model)``
    contributes ``Model.model_validate``. Returns ``(loc, message)`` pairs,
    ``loc`` relative to the system; an unregistered type is one problem at ``type``.
    """
    validator = validators.get(type_name)
    if validator is None:
        known = ", ".join(sorted(validators)) or "none are registered"
        return [(("type",), f"unknown system type {type_name!r} (known types: {known})")]
    try:
        validator(options)
    except ValidationError as exc:
        model = getattr(validator, "__self__", None)  # a bound Model.model_validate
        return [(tuple(error["loc"]), _message(error, model)) for error in exc.errors()]
    except ValueError as exc:
        return [((), str(exc))]
    return []


def load_landscape(
    path: str | os.PathLike[str], system_validators: Mapping[str, SystemValidator] | None = None
) -> Landscape:
    """Read and validate a landscape file; raise :class:`LandscapeError` listing every problem."""
    report = check_landscape(path, system_validators)
    if report.landscape is None:
        raise LandscapeError(report.errors)
    return report.landscape


def check_landscape(
    path: str | os.PathLike[str],
    system_validators: Mapping[str, SystemValidator] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> CheckReport:
    """Check a landscape file without connecting to anything; never raises for a bad file.

    Warnings name what is missing on this machine only (unset ``*_env``
    variables, absent ``*_file`` and ``sku_xref`` files) or looks like a slip
    (an unknown flow name). ``environ`` defaults to ``os.environ``.
    """
    file = Path(path)
    try:
        raw, doc = _read(file, str(path))
    except _Fatal as fatal:
        return CheckReport(errors=[fatal.problem])
    base_dir = file.absolute().parent
    errors = [*doc.duplicates, *_model_problems(raw, doc, base_dir)]
    if system_validators is not None:
        errors += _system_problems(raw, doc, base_dir, system_validators)
    warnings = _warnings(raw, doc, base_dir, os.environ if environ is None else environ)
    report = CheckReport(errors=_in_file_order(errors), warnings=_in_file_order(warnings))
    if report.ok:
        report.landscape = build_landscape(raw, base_dir=base_dir)
    return report


def _read(file: Path, shown: str) -> tuple[dict[str, Any], _Document]:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise _whole(shown, f"cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise _whole(shown, "is not UTF-8 text") from None
    doc = _Document(shown)
    raw = _compose(text, doc)
    if not isinstance(raw, dict):
        message = f"should be a mapping of sections such as runtime and systems, not {_kind(raw)}"
        raise _Fatal(doc.problem((), message))
    return raw, doc


def _compose(text: str, doc: _Document) -> Any:
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        data = None
        if node is not None:
            doc.marks[()] = (_position(node), _position(node))
            _walk(node, (), doc)  # before constructing: construction rewrites merge keys in place
            data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise _Fatal(_syntax_problem(exc, doc.shown)) from None
    except yaml.YAMLError as exc:
        raise _whole(doc.shown, f"is not valid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:  # an alias inside the node it names: endless, and not a landscape
        raise _whole(doc.shown, "an alias refers to a node that contains it") from None
    if data is None:
        raise _whole(doc.shown, "is empty: give at least one section")
    return data


def _syntax_problem(exc: yaml.MarkedYAMLError, shown: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    message = f"YAML syntax: {exc.problem or exc.context}"
    if exc.context and exc.problem and exc.context_mark:
        message += f" ({exc.context} on line {exc.context_mark.line + 1})"
    line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
    return Problem(shown, line, column, "", message)


def _position(node: yaml.Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _walk(node: yaml.Node, path: tuple[str, ...], doc: _Document) -> None:
    if isinstance(node, yaml.MappingNode):
        _walk_mapping(node, path, doc)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _enter((*path, str(index)), item, item, doc)


def _walk_mapping(node: yaml.MappingNode, path: tuple[str, ...], doc: _Document) -> None:
    first_line: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key in first_line and key != "<<":  # several merge keys are allowed
            message = f"duplicate key, first given on line {first_line[key]}; YAML keeps the last"
            where = _position(key_node)
            doc.duplicates.append(Problem(doc.shown, *where, ".".join((*path, key)), message))
        first_line[key] = _position(key_node)[0]
        _enter((*path, key), key_node, value_node, doc)


def _enter(path: tuple[str, ...], key: yaml.Node, value: yaml.Node, doc: _Document) -> None:
    at_value = _position(value) if isinstance(value, yaml.ScalarNode) else _position(key)
    doc.marks[path] = (_position(key), at_value)
    _walk(value, path, doc)


def _model_problems(raw: dict[str, Any], doc: _Document, base_dir: Path) -> list[Problem]:
    try:
        build_landscape(raw, base_dir=base_dir)
    except ValidationError as exc:
        return [_place(error, doc) for error in exc.errors()]
    return []


def _place(error: ErrorDetails, doc: _Document) -> Problem:
    at_key = error["type"] == "extra_forbidden"  # the key itself is the mistake
    return doc.problem(error["loc"], _message(error, Landscape), at_key=at_key)


def _system_problems(
    raw: dict[str, Any], doc: _Document, base_dir: Path, validators: Mapping[str, SystemValidator]
) -> list[Problem]:
    systems = raw.get("systems")
    problems: list[Problem] = []
    for name, entry in (systems if isinstance(systems, dict) else {}).items():
        try:
            system = SystemConfig.model_validate(entry, context={"base_dir": base_dir})
        except ValidationError:
            continue  # already reported by the landscape model
        for loc, message in validate_system_options(system.type, system.options, validators):
            problems.append(doc.problem(("systems", name, *loc), message, at_key=True))
    return problems


def _message(error: ErrorDetails, root: Any) -> str:
    """A pydantic error in the file's words; ``root`` is the model its ``loc`` starts from."""
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key(error["loc"], root)
    if kind == "missing":
        return "required, but missing"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"should be a mapping of keys to values, not {_kind(error['input'])}"
    if kind == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        return _PATTERN_HINTS.get(pattern, f"should match the pattern {pattern}")
    if kind == "string_type" and isinstance(error["input"], int | float):
        return "should be text, not a number: put the value in quotes"
    if kind == "literal_error":
        return f"{error['msg'].removeprefix('Input ')}, not {error['input']!r}"
    return error["msg"].removeprefix("Value error, ").removeprefix("Input ")


def _kind(value: object) -> str:
    return "a list" if isinstance(value, list) else "empty" if value is None else "a single value"


def _unknown_key(loc: Loc, root: Any) -> str:
    key = str(loc[-1])
    allowed = _fields_at(loc[:-1], root)
    if not allowed:
        return f"unknown key {key!r}"
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"unknown key {key!r}; did you mean {close[0]!r}?"
    return f"unknown key {key!r}; allowed here: {', '.join(allowed)}"


def _fields_at(loc: Loc, root: Any) -> list[str]:
    """The keys the model expects at ``loc``, found by following the models' field types."""
    annotation = root
    for part in loc:
        annotation = _step(annotation, part)
    model = _model_in(annotation)
    return [name for name in model.model_fields if name not in INTERNAL_FIELDS] if model else []


def _step(annotation: Any, part: str | int) -> Any:
    model = _model_in(annotation)
    if model is not None:
        info = model.model_fields.get(str(part))
        return info.annotation if info else None
    return get_args(annotation)[-1] if get_origin(annotation) in (dict, list) else None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    union = get_origin(annotation) in (Union, UnionType)
    members = get_args(annotation) if union else (annotation,)
    return next((m for m in members if isinstance(m, type) and issubclass(m, BaseModel)), None)


def _warnings(
    raw: dict[str, Any], doc: _Document, base_dir: Path, environ: Mapping[str, str]
) -> list[Problem]:
    found: list[Problem] = []
    sections = ("systems", "partners", "security", "as2")
    for path, value in _texts({section: raw.get(section) for section in sections}):
        key = path[-1]
        if key.endswith("_env") and value not in environ:
            message = f"environment variable {value} is not set; distsync reads it at run time"
            found.append(doc.problem(path, message))
        elif (key.endswith("_file") or key == "sku_xref") and not _exists(value, base_dir):
            found.append(doc.problem(path, f"file {value} does not exist (yet)"))
    found.extend(_key_ring_warning(raw, doc, base_dir))
    flows = raw.get("flows")
    for name in flows if isinstance(flows, dict) else {}:
        if name not in KNOWN_FLOWS:
            close = difflib.get_close_matches(str(name), KNOWN_FLOWS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(KNOWN_FLOWS)}"
            found.append(doc.problem(("flows", name), f"no flow is named {name!r}; {hint}"))
    return found


def _key_ring_warning(raw: dict[str, Any], doc: _Document, base_dir: Path) -> list[Problem]:
    """A ``security`` section whose signing keys folder has no key ring yet."""
    security = raw.get("security")
    if not isinstance(security, dict):
        return []
    folder = security.get("signing_keys_dir", "var/keys")
    if not isinstance(folder, str) or _exists(str(Path(folder) / "keyring.json"), base_dir):
        return []
    message = f"no signing keys in {folder} yet; create them with `distsync auth keys init`"
    return [doc.problem(("security",), message)]


def _texts(data: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every text value in ``data`` with its key path."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _texts(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _texts(value, (*path, str(index)))


def _exists(value: str, base_dir: Path) -> bool:
    return (base_dir / Path(value).expanduser()).exists()


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """Sorted by position; one problem per key and position (the first one said)."""
    unique = {(p.line, p.column, p.key): p for p in reversed(problems)}
    return sorted(unique.values(), key=lambda p: (p.line or 0, p.column or 0))
