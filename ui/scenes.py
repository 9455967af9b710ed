"""Lecture scenes: the data file a lecturer edits, read and checked against the knob table.

A scene is data, not code (lecture/scenes.toml, documented in the README): the target page, its
knob values, a title, two or three sentences of narration with the book section, a question to
ask before pressing "open", and what to notice. Every problem is reported with the scene's number
and title and the field at fault, so a lecturer can fix the file without reading Python.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, NamedTuple

from ui import knobs as K
from ui.pages import BY_ID, ROOT, PageInfo

SCENES_FILE = ROOT / "lecture" / "scenes.toml"
REQUIRED = ("title", "page", "section", "narration", "predict", "notice")
OPTIONAL = ("figure", "part", "knobs")


class Scene(NamedTuple):
    number: int  # 1-based position in the file
    title: str
    page: str  # a page id of ui/pages.py
    section: str  # book section, e.g. "8.2.1"
    narration: str
    predict: str  # the "predict first" question
    notice: str  # what to notice once it runs
    figure: str  # the book figure it reproduces, or ""
    knobs: dict[str, Any]  # URL name -> value, checked against the page's knobs
    part: str = ""  # the tab of the page the scene opens ("" = the page's first part)


class SceneError(ValueError):
    """A problem in the scenes file, naming the scene and the field."""


def page_knobs(info: PageInfo) -> dict[str, K.Knob]:
    """The knobs a scene may set on a page: the shared ones and the page's own."""
    return {k.name: k for k in K.SHARED if k is not K.PRESENT} | {k.name: k for k in info.knobs}


def _check_value(where: str, knob: K.Knob, value) -> Any:
    if isinstance(value, bool) != (knob.kind == "bool"):
        raise SceneError(f"{where}: expected {'on/off (true or false)' if knob.kind == 'bool' else 'a value'}"
                         f" for {knob.label}")
    text = K.encode(knob, value) if knob.kind == "bool" else str(value)
    parsed, why = K.parse(knob, [text])
    if why is not None:
        raise SceneError(f"{where}: {knob.label} = {value!r} is not allowed ({why})")
    if knob.kind in ("grid", "float") and abs(float(parsed) - float(value)) > 1e-12 * max(1, abs(value)):
        raise SceneError(f"{where}: {knob.label} = {value!r} is not one of the slider's values "
                         f"(nearest: {knob.show(parsed)})")
    return parsed


def validate(doc: dict) -> list[Scene]:
    """Scenes from a parsed TOML document ({"scene": [tables...]}), or a SceneError."""
    raw = doc.get("scene")
    if not isinstance(raw, list) or not raw:
        raise SceneError("the file has no [[scene]] tables")
    scenes = []
    for i, s in enumerate(raw, start=1):
        where = f"scene {i} ({s.get('title', 'untitled')!r})" if isinstance(s, dict) else f"scene {i}"
        if not isinstance(s, dict):
            raise SceneError(f"{where}: is not a table")
        for field in REQUIRED:
            if not isinstance(s.get(field), str) or not s[field].strip():
                raise SceneError(f"{where}: field '{field}' is missing or empty")
        unknown = set(s) - set(REQUIRED) - set(OPTIONAL)
        if unknown:
            raise SceneError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        info = BY_ID.get(s["page"])
        if info is None or info.id in ("home", "lecture_tour"):
            pages = ", ".join(p.id for p in BY_ID.values() if p.id not in ("home", "lecture_tour"))
            raise SceneError(f"{where}: field 'page': unknown page {s['page']!r} (one of: {pages})")
        part = s.get("part", info.parts[0].id if info.parts else "")
        if info.parts and part not in info.part_knob.options:
            raise SceneError(f"{where}: field 'part': unknown part {part!r} for page {info.id} "
                             f"(one of: {', '.join(info.part_knob.options)})")
        if not info.parts and part:
            raise SceneError(f"{where}: field 'part': page {info.id} has no parts")
        allowed = page_knobs(info)
        values = {}
        knobs = s.get("knobs", {})
        if not isinstance(knobs, dict):
            raise SceneError(f"{where}: field 'knobs' must be a table of knob = value")
        for name, value in knobs.items():
            if name not in allowed:
                raise SceneError(f"{where}: field 'knobs': unknown knob {name!r} for page "
                                 f"{info.id} (one of: {', '.join(allowed)})")
            own = any(k.name == name for k in info.knobs)
            used = info.part(part).knobs if own else info.shared_of(part)
            if info.parts and name != "show" and name not in used:
                raise SceneError(f"{where}: field 'knobs': knob {name!r} is not used by part "
                                 f"{part!r} of page {info.id}, so the scene would not show it")
            values[name] = _check_value(f"{where}: field 'knobs.{name}'", allowed[name], value)
        scenes.append(Scene(i, s["title"].strip(), info.id, s["section"].strip(),
                            s["narration"].strip(), s["predict"].strip(), s["notice"].strip(),
                            str(s.get("figure", "")).strip(), values, part))
    return scenes


def load(path: Path = SCENES_FILE) -> list[Scene]:
    """Read and check the scenes file; SceneError names the scene and field at fault."""
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise SceneError(f"the scenes file {Path(path).name} is missing") from e
    except tomllib.TOMLDecodeError as e:
        raise SceneError(f"the scenes file is not valid TOML: {e}") from e
    return validate(doc)


def link_params(scene: Scene, present: bool) -> dict[str, str]:
    """The URL of the scene's view: every knob of the target page (the scene's value, else the
    default) so the view is the same whatever the session had, plus presenter view and the
    controls the scene uses."""
    info = BY_ID[scene.page]
    params = {name: K.encode(k, scene.knobs.get(name, k.default))
              for name, k in page_knobs(info).items()}
    if scene.part:
        params["part"] = scene.part
    params["present"] = "1" if present else "0"
    if scene.knobs:
        params["show"] = ",".join(scene.knobs)
    return params
