"""Rubrics (scorecards) as YAML → validated objects → store rows, and the module catalogue.

Rubric file::

    name: chat_support            # identifier: lower-case letters, digits, _
    title: Chat support scorecard
    channel: chat                 # chat | voice | email (optional)
    description: ...
    sections:
      - name: Opening & verification
        criteria:
          - key: greeting                     # unique within the rubric
            question: Did the agent greet the customer and introduce themselves?
            scale: binary                     # binary | ordinal | points
            weight: 1                         # > 0
            critical: false                   # a fail sets the interaction score to 0
            na_allowed: false
            subjective: false                 # agreement target 80% instead of 90%
            refresher_module: MOD-OPEN        # id from the module catalogue
            guidance: {yes: "...", no: "..."} # what each answer looks like
            root_causes: [skipped_script]     # tags an evaluator may pick on a fail
          - key: empathy
            scale: ordinal
            labels: [Dismissive, Flat, Adequate, Warm, Exceptional]   # values 1..N
            guidance: {1: "...", 3: "...", 5: "..."}
            pass_at: 3                        # values below fail; default floor(N/2)+1
          - key: accuracy
            scale: points
            max_points: 10
            pass_at: 5                        # default max_points/2

Module catalogue (a file whose top-level key is ``modules``)::

    modules:
      - {id: MOD-VERIFY, title: Identity verification refresher, duration_minutes: 30,
         owner: Priya Natarajan, description: ...}

Scales: ``binary`` stores 1 = yes / 0 = no and passes on yes; ``ordinal`` stores 1..N (the
position of the label) and passes at ``pass_at``; ``points`` stores 0..max_points. Unknown fields,
repeated YAML keys and repeated criterion keys are errors, so a typo never passes silently.
Errors are one line naming the file, the section or criterion and the field.

The content hash is the sha256 of a canonical JSON of the parsed definition, so comments and
formatting do not make a new version; any change of meaning does. Loading a changed file stores
a new version (the old one and its criteria stay); evaluations stay bound to the version they were
scored with. A file whose content equals an older version is not stored again (the store allows
one version per content): the load reports which version it matches.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from . import models as m
from .errors import InputError, NotFound
from .store import Store, _audit
from .views import View

SCALES = ("binary", "ordinal", "points")
CHANNELS = ("chat", "voice", "email")
KEY_RE = re.compile(r"^[a-z0-9_]+$")
RUBRIC_FIELDS = {"name", "title", "channel", "description", "sections"}
SECTION_FIELDS = {"name", "criteria"}
CRITERION_FIELDS = {
    "key", "question", "scale", "weight", "critical", "na_allowed", "subjective",
    "refresher_module", "guidance", "root_causes", "labels", "max_points", "pass_at",
}
MODULE_FIELDS = {"id", "title", "duration_minutes", "owner", "description"}


@dataclass(frozen=True)
class CriterionDef:
    """A validated criterion; attribute names match ``models.Criterion`` so scoring takes both."""

    key: str
    section: str
    position: int
    question: str
    scale: str
    max_value: float
    min_value: float
    pass_at: float
    weight: float
    critical: bool
    na_allowed: bool
    subjective: bool
    refresher_module: str | None
    labels: dict[int, str] = field(default_factory=dict)
    guidance: dict[str, str] = field(default_factory=dict)
    root_causes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RubricDef:
    """A validated rubric file: its criteria in order and the hash of its meaning."""

    name: str
    title: str
    channel: str | None
    description: str | None
    criteria: tuple[CriterionDef, ...]
    content_hash: str
    source_path: str

    def canonical(self) -> dict[str, Any]:
        """The parsed definition as plain JSON-able data (what the hash is taken over)."""
        return _canonical(self.name, self.title, self.channel, self.description, self.criteria)


@dataclass(frozen=True)
class ModuleDef:
    """A refresher module from the catalogue."""

    id: str
    title: str
    duration_minutes: int | None
    owner: str | None
    description: str | None


def _canonical(name: str, title: str, channel: str | None, description: str | None,
               criteria: Sequence[CriterionDef]) -> dict[str, Any]:
    return {
        "name": name, "title": title, "channel": channel, "description": description,
        "criteria": [
            {**asdict(c), "labels": {str(k): v for k, v in c.labels.items()},
             "root_causes": list(c.root_causes)}
            for c in criteria
        ],
    }


def _hash(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _yaml(text: str, source: str) -> Any:
    from .yaml_strict import load_yaml

    return load_yaml(text, source)


def _number(value: Any, where: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(str(value).strip())
        except (ValueError, OverflowError):
            raise InputError(f"{where}: field {name!r}: not a number: "
                             f"{str(value)[:40]!r}") from None
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise InputError(f"{where}: field {name!r}: a number too large") from None
    if not math.isfinite(number):
        raise InputError(f"{where}: field {name!r}: not a finite number: {str(value)[:40]}")
    return number


def _bool(value: Any, where: str, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise InputError(f"{where}: field {name!r}: must be true or false, not {value!r}")


def _text(value: Any, where: str, name: str, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputError(f"{where}: field {name!r}: missing")
        return None
    if not isinstance(value, str | int | float):
        raise InputError(f"{where}: field {name!r}: must be text")
    return " ".join(str(value).split()) if name != "description" else str(value).strip()


def _unknown(data: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(map(str, data)) - allowed)
    if extra:
        close = difflib.get_close_matches(extra[0], sorted(allowed), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(sorted(allowed))}"
        raise InputError(f"{where}: field {extra[0]!r}: unknown field ({hint})")


def _criterion(raw: Any, section: str, position: int, number: int, source: str) -> CriterionDef:
    key = raw.get("key") if isinstance(raw, dict) else None
    where = f"{source}: criterion {key!r} (section {section!r})" if key else \
        f"{source}: criterion {number} (section {section!r})"
    if not isinstance(raw, dict):
        raise InputError(f"{where}: must be a mapping of fields")
    _unknown(raw, CRITERION_FIELDS, where)
    key = _text(raw.get("key"), where, "key")
    assert key is not None
    if not KEY_RE.match(key):
        raise InputError(f"{where}: field 'key': use lower-case letters, digits and _ only")
    question = _text(raw.get("question"), where, "question")
    if raw.get("scale") is None:
        raise InputError(f"{where}: field 'scale': missing (use {', '.join(SCALES)})")
    scale = str(raw.get("scale")).strip()
    if scale not in SCALES:
        raise InputError(f"{where}: field 'scale': unknown scale {raw.get('scale')!r} "
                         f"(use {', '.join(SCALES)})")
    weight = _number(raw.get("weight", 1), where, "weight")
    if weight <= 0:
        raise InputError(f"{where}: field 'weight': must be greater than 0, not {weight:g}")
    labels: dict[int, str] = {}
    if scale == "binary":
        lo, hi, default_pass = 0.0, 1.0, 1.0
        labels = {1: "Yes", 0: "No"}
        for name in ("labels", "max_points"):
            if name in raw:
                raise InputError(f"{where}: field {name!r}: not used by a binary criterion")
    elif scale == "ordinal":
        raw_labels = raw.get("labels")
        if not isinstance(raw_labels, list) or len(raw_labels) < 2 or not all(
            isinstance(x, str | int | float) and str(x).strip() for x in raw_labels
        ):
            raise InputError(f"{where}: field 'labels': an ordinal criterion needs a list of at "
                             "least two labels (values 1..N)")
        labels = {n + 1: str(x).strip() for n, x in enumerate(raw_labels)}
        if len({v.casefold() for v in labels.values()}) != len(labels):
            raise InputError(f"{where}: field 'labels': labels repeat")
        lo, hi = 1.0, float(len(labels))
        default_pass = float(len(labels) // 2 + 1)
        if "max_points" in raw:
            raise InputError(f"{where}: field 'max_points': not used by an ordinal criterion")
    else:
        if "max_points" not in raw:
            raise InputError(f"{where}: field 'max_points': missing for a points criterion")
        hi = _number(raw.get("max_points"), where, "max_points")
        if hi <= 0:
            raise InputError(f"{where}: field 'max_points': must be greater than 0")
        lo, default_pass = 0.0, hi / 2
        if "labels" in raw:
            raise InputError(f"{where}: field 'labels': not used by a points criterion")
    pass_at = _number(raw["pass_at"], where, "pass_at") if "pass_at" in raw else default_pass
    if scale == "binary" and "pass_at" in raw and pass_at != 1:
        raise InputError(f"{where}: field 'pass_at': a binary criterion passes on yes only")
    if not lo < pass_at <= hi:
        raise InputError(f"{where}: field 'pass_at': {pass_at:g} is outside the scale "
                         f"{lo:g}–{hi:g} (must be above the lowest value)")
    if scale == "ordinal" and not pass_at.is_integer():
        raise InputError(f"{where}: field 'pass_at': {pass_at:g} is not a step of the scale "
                         f"{lo:g}–{hi:g}")
    na_allowed = _bool(raw.get("na_allowed", False), where, "na_allowed")
    guidance_raw = raw.get("guidance") or {}
    if not isinstance(guidance_raw, dict):
        raise InputError(f"{where}: field 'guidance': must map answers to text")
    guidance: dict[str, str] = {}
    for g_key, g_text in guidance_raw.items():
        k = {True: "yes", False: "no"}.get(g_key, str(g_key)).strip().lower() \
            if isinstance(g_key, bool) else str(g_key).strip().lower()
        if k == "n/a" and not na_allowed:
            raise InputError(f"{where}: field 'guidance': guidance for n/a, but na_allowed is "
                             "false")
        if scale == "binary" and k not in ("yes", "no", "n/a"):
            raise InputError(f"{where}: field 'guidance': {g_key!r} is not yes, no or n/a")
        if scale != "binary" and k != "n/a":
            try:
                g_value = float(k)
            except ValueError:
                raise InputError(f"{where}: field 'guidance': {g_key!r} is not a value of the "
                                 "scale") from None
            if not lo <= g_value <= hi:
                raise InputError(f"{where}: field 'guidance': {g_key!r} is outside the scale")
            k = f"{g_value:g}"
        if not isinstance(g_text, str | int | float) or isinstance(g_text, bool) \
                or not str(g_text).strip():
            raise InputError(f"{where}: field 'guidance': the text for {g_key!r} is missing")
        if k in guidance:
            raise InputError(f"{where}: field 'guidance': {g_key!r} is given twice")
        guidance[k] = " ".join(str(g_text).split())
    causes = raw.get("root_causes") or []
    if not isinstance(causes, list) or not all(isinstance(c, str) and KEY_RE.match(c)
                                               for c in causes):
        raise InputError(f"{where}: field 'root_causes': a list of tags (lower-case, digits, _)")
    module = _text(raw.get("refresher_module"), where, "refresher_module", required=False)
    return CriterionDef(
        key=key, section=section, position=position, question=question or "", scale=scale,
        max_value=hi, min_value=lo, pass_at=pass_at, weight=weight,
        critical=_bool(raw.get("critical", False), where, "critical"),
        na_allowed=na_allowed,
        subjective=_bool(raw.get("subjective", False), where, "subjective"),
        refresher_module=module, labels=labels, guidance=guidance, root_causes=tuple(causes),
    )


def parse_rubric(text: str, source: str) -> RubricDef:
    """Validate a rubric; raise InputError naming file, section/criterion and field."""
    data = _yaml(text, source)
    if not isinstance(data, dict):
        raise InputError(f"{source}: line 1: a rubric file is a mapping with name, title and "
                         "sections")
    _unknown(data, RUBRIC_FIELDS, source)
    name = _text(data.get("name"), source, "name")
    assert name is not None
    if not KEY_RE.match(name):
        raise InputError(f"{source}: field 'name': use lower-case letters, digits and _ only")
    title = _text(data.get("title"), source, "title", required=False) or name
    channel = data.get("channel")
    if channel is not None and channel not in CHANNELS:
        raise InputError(f"{source}: field 'channel': {channel!r} is not chat, voice or email")
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        raise InputError(f"{source}: field 'sections': a rubric needs a list of sections")
    criteria: list[CriterionDef] = []
    seen: dict[str, str] = {}
    for n, section in enumerate(sections, start=1):
        if not isinstance(section, dict):
            raise InputError(f"{source}: section {n}: must be a mapping with name and criteria")
        _unknown(section, SECTION_FIELDS, f"{source}: section {n}")
        sname = _text(section.get("name"), f"{source}: section {n}", "name")
        items = section.get("criteria")
        if not isinstance(items, list) or not items:
            raise InputError(f"{source}: section {sname!r}: field 'criteria': needs a list")
        for number, raw in enumerate(items, start=1):
            c = _criterion(raw, sname or "", len(criteria), number, source)
            if c.key in seen:
                raise InputError(f"{source}: criterion {c.key!r} (section {sname!r}): field "
                                 f"'key': duplicate key (also in section {seen[c.key]!r})")
            seen[c.key] = sname or ""
            criteria.append(c)
    description = _text(data.get("description"), source, "description", required=False)
    canonical = _canonical(name, title, channel, description, criteria)
    return RubricDef(name=name, title=title, channel=channel, description=description,
                     criteria=tuple(criteria), content_hash=_hash(canonical), source_path=source)


def rubric_yaml(definition: dict[str, Any]) -> str:
    """A stored rubric version (its canonical definition) as rubric YAML that ``parse_rubric``
    reads back to the same content hash: what a calibration packet carries."""
    import yaml

    sections: list[dict[str, Any]] = []
    for c in sorted(definition["criteria"], key=lambda c: c["position"]):
        if not sections or sections[-1]["name"] != c["section"]:
            sections.append({"name": c["section"], "criteria": []})
        item: dict[str, Any] = {"key": c["key"], "question": c["question"], "scale": c["scale"],
                                "weight": c["weight"], "critical": c["critical"],
                                "na_allowed": c["na_allowed"], "subjective": c["subjective"]}
        if c["scale"] == "ordinal":
            item["labels"] = [c["labels"][k] for k in sorted(c["labels"], key=int)]
        elif c["scale"] == "points":
            item["max_points"] = c["max_value"]
        item["pass_at"] = c["pass_at"]
        for name in ("refresher_module", "guidance", "root_causes"):
            if c.get(name):
                item[name] = c[name]
        sections[-1]["criteria"].append(item)
    data: dict[str, Any] = {"name": definition["name"], "title": definition["title"]}
    for name in ("channel", "description"):
        if definition.get(name) is not None:
            data[name] = definition[name]
    data["sections"] = sections
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _read(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{path}: line {line}: not UTF-8 text") from None


def load_rubric_file(path: Path) -> RubricDef:
    """Read and validate one rubric file (no store involved)."""
    return parse_rubric(_read(Path(path)), str(path))


def parse_modules(text: str, source: str) -> list[ModuleDef]:
    """Validate a module catalogue (``modules: [...]``); InputError names file, module, field."""
    data = _yaml(text, source)
    if not isinstance(data, dict) or not isinstance(data.get("modules"), list):
        raise InputError(f"{source}: line 1: a module catalogue is a mapping with a 'modules' list")
    _unknown(data, {"modules"}, source)
    out: list[ModuleDef] = []
    seen: set[str] = set()
    for n, raw in enumerate(data["modules"], start=1):
        where = f"{source}: module {raw['id']!r}" if isinstance(raw, dict) and raw.get("id") \
            else f"{source}: module {n}"
        if not isinstance(raw, dict):
            raise InputError(f"{where}: must be a mapping")
        _unknown(raw, MODULE_FIELDS, where)
        mid = _text(raw.get("id"), where, "id")
        assert mid is not None
        where = f"{source}: module {mid!r}"
        if mid in seen:
            raise InputError(f"{where}: field 'id': duplicate id")
        seen.add(mid)
        duration = raw.get("duration_minutes")
        if duration is not None:
            duration = _number(duration, where, "duration_minutes")
            if duration <= 0 or not float(duration).is_integer():
                raise InputError(f"{where}: field 'duration_minutes': a whole number of minutes")
        out.append(ModuleDef(
            id=mid, title=_text(raw.get("title"), where, "title") or mid,
            duration_minutes=int(duration) if duration is not None else None,
            owner=_text(raw.get("owner"), where, "owner", required=False),
            description=_text(raw.get("description"), where, "description", required=False),
        ))
    return out


def load_modules_file(path: Path) -> list[ModuleDef]:
    """Read and validate one module catalogue file."""
    return parse_modules(_read(Path(path)), str(path))


def _is_catalogue(text: str, source: str) -> bool:
    """A module catalogue: top-level ``modules`` and no ``sections`` (read with the strict
    loader, so a refused document is refused here, before anything else parses it)."""
    data = _yaml(text, source)
    return isinstance(data, dict) and "modules" in data and "sections" not in data


@dataclass
class LoadResult:
    """What loading one file did.

    ``status``: ``loaded`` (new version or changed modules), ``unchanged`` (same content as the
    latest version / modules as stored) or ``older`` (same content as an older, non-latest
    version: nothing stored, ``version`` is the matching one, ``latest`` the newest)."""

    path: str
    kind: str  # rubric | modules
    name: str
    version: int | None
    status: str  # loaded | unchanged | older
    count: int  # criteria or modules
    latest: int | None = None


def _expand(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(x for x in p.iterdir() if x.suffix in (".yaml", ".yml") and x.is_file())
        elif p.exists():
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or directory")
    seen: set[Path] = set()
    unique = []
    for f in files:  # a file named twice (alone and through its folder) is read once
        if f.resolve() not in seen:
            seen.add(f.resolve())
            unique.append(f)
    return unique


def read_paths(
    paths: Sequence[Path],
) -> tuple[list[RubricDef], list[tuple[Path, list[ModuleDef]]]]:
    """Parse and validate every rubric and catalogue under ``paths`` (files or folders; a file is
    a catalogue when its top-level key is ``modules``). Nothing touches the store."""
    rubrics: list[RubricDef] = []
    catalogues: list[tuple[Path, list[ModuleDef]]] = []
    for path in _expand(paths):
        text = _read(path)
        if _is_catalogue(text, str(path)):
            catalogues.append((path, parse_modules(text, str(path))))
        else:
            rubrics.append(parse_rubric(text, str(path)))
    first: dict[str, str] = {}
    for r in rubrics:
        if r.name in first:
            raise InputError(f"{r.source_path}: field 'name': rubric {r.name!r} is also defined "
                             f"in {first[r.name]}")
        first[r.name] = r.source_path
    modules: dict[str, tuple[Path, ModuleDef]] = {}
    for path, mods in catalogues:
        for mod in mods:
            if mod.id in modules and modules[mod.id][1] != mod:
                raise InputError(f"{path}: module {mod.id!r}: field 'id': also defined, "
                                 f"differently, in {modules[mod.id][0]}")
            modules[mod.id] = (path, mod)
    return rubrics, catalogues


def load_rubric_paths(store: Store, paths: Sequence[Path], *, actor: str) -> list[LoadResult]:
    """Load rubric files, directories of them and module catalogues: everything is validated
    first, then written in one transaction (all or nothing). A lead, or anyone while the store
    has no lead."""
    from .access import check

    check(store, actor, "rubric.load")
    return _load_paths(store, paths, actor=actor, checked=True)


def _load_paths(store: Store, paths: Sequence[Path], *, actor: str,
                checked: bool) -> list[LoadResult]:
    from .access import _require

    rubrics, catalogues = read_paths(paths)
    results: list[LoadResult] = []
    with store.session() as session:
        if checked:
            actor = _require(session, actor, "rubric.load").name
        known = set(session.exec(select(m.Module.id)).all())
        for _path, mods in catalogues:
            known |= {mod.id for mod in mods}
        for r in rubrics:
            for c in r.criteria:
                if c.refresher_module and c.refresher_module not in known:
                    raise InputError(
                        f"{r.source_path}: criterion {c.key!r} (section {c.section!r}): field "
                        f"'refresher_module': {c.refresher_module!r} is not in the module catalogue"
                    )
        for path, mods in catalogues:
            changed = sum(_save_module(session, mod, actor) for mod in mods)
            results.append(LoadResult(str(path), "modules", path.name, None,
                                      "loaded" if changed else "unchanged", len(mods)))
        for r in rubrics:
            row, created = _save_rubric(session, r, actor=actor)
            latest = _latest_version(session, r.name)
            status = "loaded" if created else "unchanged" if row.version == latest else "older"
            results.append(LoadResult(r.source_path, "rubric", r.name, row.version, status,
                                      len(r.criteria), latest))
    return results


def load_bundled_rubrics(store: Store, *, actor: str) -> list[LoadResult]:
    """Load (or reload) the rubrics and module catalogue that ship with the package."""
    from .bundled import rubric_directory

    with rubric_directory() as folder:
        return load_rubric_paths(store, [folder], actor=actor)


def seed_bundled_rubrics(store: Store, *, actor: str) -> list[LoadResult]:
    """On a store with no rubric and no module yet, load the bundled ones; else do nothing.
    Seeding is part of ``init`` (open to anyone): it only adds the package's own content."""
    from .bundled import rubric_directory

    with store.read() as session:
        if session.exec(select(m.Rubric.id).limit(1)).first() is not None or \
                session.exec(select(m.Module.id).limit(1)).first() is not None:
            return []
    with rubric_directory() as folder:
        return _load_paths(store, [folder], actor=actor, checked=False)


def _latest_version(session: Session, name: str) -> int:
    return int(session.exec(select(func.max(m.Rubric.version))
                            .where(m.Rubric.name == name)).one() or 0)


def _save_module(session: Session, mod: ModuleDef, actor: str) -> bool:
    row = session.get(m.Module, mod.id)
    values = {"title": mod.title, "duration_minutes": mod.duration_minutes, "owner": mod.owner,
              "description": mod.description}
    if row is not None:
        before = {k: getattr(row, k) for k in values}
        if before == values:
            return False
        for k, v in values.items():
            setattr(row, k, v)
        session.add(row)
        _audit(session, actor=actor, entity="module", entity_id=mod.id, action="update",
              before=before, after=values)
        return True
    session.add(m.Module(id=mod.id, **values))  # type: ignore[arg-type]
    _audit(session, actor=actor, entity="module", entity_id=mod.id, action="create", after=values)
    return True


def _save_rubric(session: Session, r: RubricDef, *, actor: str) -> tuple[m.Rubric, bool]:
    """Store a rubric version unless one with the same content is there: (row, created).
    Refresher modules are not checked here (``load_rubric_paths`` does that)."""
    same = session.exec(select(m.Rubric).where(m.Rubric.name == r.name,
                                               m.Rubric.content_hash == r.content_hash)).first()
    if same is not None:
        return same, False
    from .redact import scrub

    source = scrub(r.source_path) if r.source_path else r.source_path  # a file name with PII
    row = m.Rubric(name=r.name, version=_latest_version(session, r.name) + 1, title=r.title,
                   channel=r.channel, content_hash=r.content_hash, source_path=source,
                   definition=json.dumps(r.canonical(), sort_keys=True, ensure_ascii=False))
    session.add(row)
    session.flush()
    for c in r.criteria:
        session.add(m.Criterion(
            rubric_id=row.id or 0, key=c.key, section=c.section, position=c.position,
            question=c.question, scale=c.scale, max_value=c.max_value, min_value=c.min_value,
            pass_at=c.pass_at, weight=c.weight, critical=c.critical, na_allowed=c.na_allowed,
            subjective=c.subjective, refresher_module=c.refresher_module,
            labels=json.dumps({str(k): v for k, v in c.labels.items()}, ensure_ascii=False),
            guidance=json.dumps(c.guidance, ensure_ascii=False),
            root_causes=json.dumps(list(c.root_causes)),
        ))
    session.flush()
    _audit(session, actor=actor, entity="rubric", entity_id=row.id, action="load",
          after={"name": r.name, "version": row.version, "hash": r.content_hash,
                 "criteria": len(r.criteria), "source": source})
    return row, True


def _get_rubric(session: Session, name: str, version: int | None = None) -> m.Rubric:
    """A rubric version: ``name`` (latest), ``name@3`` or name + version; NotFound otherwise."""
    text = str(name).strip()
    if "@" in text:
        text, _, v = text.partition("@")
        try:
            at = int(v)
        except ValueError:
            raise NotFound(f"rubric {name!r}: version {v!r} is not a number") from None
        if version is not None and version != at:
            raise NotFound(f"rubric {name!r}: asked for version {version} and {at}")
        version = at
    q = select(m.Rubric).where(m.Rubric.name == text)
    q = q.where(m.Rubric.version == version) if version is not None else q.order_by(
        m.Rubric.version.desc())  # type: ignore[attr-defined]
    row = session.exec(q).first()
    if row is None:
        raise NotFound(f"no rubric {text!r}" + (f" version {version}" if version is not None
                                                 else "") + " (see: rubric list)")
    return row


def _rubric_criteria(session: Session, rubric_id: int) -> list[m.Criterion]:
    """The criteria of one rubric version, in the order of the file."""
    return list(session.exec(select(m.Criterion).where(m.Criterion.rubric_id == rubric_id)
                             .order_by(col(m.Criterion.position))).all())


@dataclass(frozen=True)
class RubricRow(View):
    """A stored rubric version as listings show it (the hash cut to 12 characters)."""

    name: str
    version: int
    title: str
    channel: str | None
    criteria: int
    content_hash: str
    loaded_at: datetime | None
    latest: bool


@dataclass(frozen=True)
class RubricDetail(View):
    """One rubric version with its criteria (their JSON columns decoded)."""

    name: str
    version: int
    title: str
    channel: str | None
    content_hash: str
    loaded_at: datetime | None
    latest: bool
    description: str | None
    criteria: tuple[Mapping[str, Any], ...]


def list_rubrics(store: Store) -> list[RubricRow]:
    """Every stored rubric version (name, version, title, channel, criteria count, short hash,
    loaded_at, latest), in one query."""
    from sqlalchemy import select as sa_select

    r = m.Rubric
    q = (sa_select(col(r.id), col(r.name), col(r.version), col(r.title), col(r.channel),
                   col(r.content_hash), col(r.loaded_at), func.count(col(m.Criterion.id)))
         .outerjoin(m.Criterion, col(m.Criterion.rubric_id) == col(r.id))
         .group_by(col(r.id), col(r.name), col(r.version), col(r.title), col(r.channel),
                   col(r.content_hash), col(r.loaded_at))
         .order_by(col(r.name), col(r.version)))
    with store.read() as session:
        rows = session.execute(q).all()
    latest: dict[str, int] = {}
    for row in rows:
        latest[row[1]] = max(latest.get(row[1], 0), row[2])
    return [RubricRow(name=name, version=version, title=title, channel=channel,
                      criteria=int(count), content_hash=content_hash[:12], loaded_at=loaded_at,
                      latest=version == latest[name])
            for _id, name, version, title, channel, content_hash, loaded_at, count in rows]


def criterion_row(c: m.Criterion) -> dict[str, Any]:
    """A stored criterion as plain data (JSON columns decoded)."""
    return {"key": c.key, "section": c.section, "position": c.position, "question": c.question,
            "scale": c.scale, "min_value": c.min_value, "max_value": c.max_value,
            "pass_at": c.pass_at, "weight": c.weight, "critical": c.critical,
            "na_allowed": c.na_allowed, "subjective": c.subjective,
            "refresher_module": c.refresher_module, "labels": json.loads(c.labels),
            "guidance": json.loads(c.guidance), "root_causes": json.loads(c.root_causes)}


def show_rubric(store: Store, name: str) -> RubricDetail:
    """One rubric version (``name`` or ``name@version``) with its criteria."""
    with store.read() as session:
        r = _get_rubric(session, name)
        return RubricDetail(
            name=r.name, version=r.version, title=r.title, channel=r.channel,
            content_hash=r.content_hash, loaded_at=r.loaded_at,
            latest=r.version == _latest_version(session, r.name),
            description=json.loads(r.definition).get("description"),
            criteria=tuple(criterion_row(c) for c in _rubric_criteria(session, r.id or 0)),
        )


def list_modules(store: Store) -> list[dict[str, Any]]:
    """The module catalogue, by id."""
    with store.read() as session:
        return [{"id": mod.id, "title": mod.title, "duration_minutes": mod.duration_minutes,
                 "owner": mod.owner, "description": mod.description}
                for mod in session.exec(select(m.Module).order_by(m.Module.id)).all()]
