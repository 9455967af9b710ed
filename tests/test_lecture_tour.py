"""The lecture tour: every scene opens its page with exactly its values; the scenes file is checked."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from tests.pagetest import notices, open_page, widget
from ui import knobs as K
from ui import scenes as S
from ui.pages import BY_ID

SCENES = S.load()
TOUR = BY_ID["lecture_tour"]


def test_the_tour_covers_every_pathology_in_the_books_order_with_two_scenes_each():
    order = ["minibatch", "ill_conditioning", "local_minima", "saddle_points", "cliffs", "long_term"]
    pages = [s.page for s in SCENES]
    assert [p for p in dict.fromkeys(pages)] == order
    assert all(pages.count(p) >= 2 for p in order)
    figures = " ".join(s.figure for s in SCENES)
    for fig in ("Fig 4.5", "Fig 4.6", "Fig 8.1", "Fig 8.3", "eq 8.11"):
        assert fig in figures


@pytest.mark.parametrize("scene", SCENES, ids=lambda s: f"{s.number}-{s.page}")
def test_each_scene_opens_its_page_with_exactly_its_values(scene):
    info = BY_ID[scene.page]
    assert info.exists(), f"scene {scene.number} targets {info.file}, which does not exist"
    params = S.link_params(scene, present=False)
    at = open_page(info, params)
    assert not at.exception, at.exception
    assert not notices(at)
    knobs = S.page_knobs(info)
    for name, value in scene.knobs.items():
        assert at.query_params[name] == K.encode(knobs[name], value)
        limited = name == "depth" and info.id == "local_minima"
        if name in info.shared_of(scene.part or None) or any(k.name == name for k in info.knobs):
            if not limited:
                assert widget(at, knobs[name]).value == value, name


def test_the_open_button_carries_the_scene_and_presenter_view():
    at = open_page(TOUR, {"scene": "4", "present": "1"})
    assert not at.exception
    link = next(x for x in at.get("page_link") if "Open this scene" in x.proto.label)
    assert link.proto.page == BY_ID[SCENES[3].page].url_path
    q = dict(parse_qsl(link.proto.query_string))
    assert q == S.link_params(SCENES[3], present=True)
    assert q["present"] == "1" and set(q["show"].split(",")) == set(SCENES[3].knobs)


def test_a_scene_in_a_later_part_says_which_part_it_opens():
    later = next(s for s in SCENES if s.part and s.part != BY_ID[s.page].parts[0].id)
    at = open_page(TOUR, {"scene": str(later.number)})
    label = BY_ID[later.page].part(later.part).label
    assert any(label in c.value for c in at.caption), label
    assert S.link_params(later, present=False)["part"] == later.part


def test_next_and_previous_move_through_the_scenes_and_the_url_follows():
    at = open_page(TOUR, {"scene": "1"})
    assert at.subheader[0].value == SCENES[0].title
    assert at.button(key="prev").disabled
    at.button(key="next").click().run()
    assert at.subheader[0].value == SCENES[1].title and at.query_params["scene"] == "2"
    at.button(key="prev").click().run()
    assert at.subheader[0].value == SCENES[0].title and at.query_params["scene"] == "1"
    at = open_page(TOUR, {"scene": str(len(SCENES))})
    assert at.button(key="next").disabled


def test_a_scene_number_past_the_end_is_clamped_to_the_last_scene():
    at = open_page(TOUR, {"scene": "150"})
    assert not at.exception
    assert at.subheader[0].value == SCENES[-1].title


# --- the data file's checks --------------------------------------------------------------------------
GOOD = {"title": "T", "page": "ill_conditioning", "section": "8.2.1", "narration": "N",
        "predict": "P", "notice": "W", "knobs": {"kappa": 10.0, "lr": 0.2}}


@pytest.mark.parametrize("change,message", [
    ({"page": "nope"}, "field 'page': unknown page 'nope'"),
    ({"knobs": {"warp": 3}}, "field 'knobs': unknown knob 'warp'"),
    ({"part": "torus"}, "field 'part': unknown part 'torus' for page ill_conditioning"),
    ({"part": "network"}, "field 'knobs': knob 'kappa' is not used by part 'network'"),
    ({"part": "network", "knobs": {"dim": 20}},
     "field 'knobs': knob 'dim' is not used by part 'network'"),
    ({"knobs": {"kappa": 1e9}}, "field 'knobs.kappa': Condition number κ = 1000000000.0 is not allowed"),
    ({"knobs": {"lr": 0.123}}, "field 'knobs.lr': Learning rate ε = 0.123 is not one of the slider's values"),
    ({"knobs": {"basis": "diagonal"}}, "field 'knobs.basis'"),
    ({"knobs": {"steps": True}}, "field 'knobs.steps'"),
    ({"narration": ""}, "field 'narration' is missing or empty"),
    ({"colour": "red"}, "unknown field(s) colour"),
])
def test_a_malformed_scene_is_an_error_naming_the_scene_and_the_field(change, message):
    bad = {**GOOD, **change}
    with pytest.raises(S.SceneError) as err:
        S.validate({"scene": [GOOD, bad]})
    assert str(err.value).startswith("scene 2 ('T'): ") and message in str(err.value)


def test_the_file_level_errors(tmp_path):
    with pytest.raises(S.SceneError, match="no \\[\\[scene\\]\\] tables"):
        S.validate({})
    f = tmp_path / "scenes.toml"
    f.write_text("[[scene]\ntitle = ")
    with pytest.raises(S.SceneError, match="not valid TOML"):
        S.load(f)
    with pytest.raises(S.SceneError, match="missing"):
        S.load(tmp_path / "absent.toml")


def test_the_tour_page_shows_a_broken_file_as_a_message_not_a_traceback(tmp_path, monkeypatch):
    f = tmp_path / "scenes.toml"
    f.write_text('[[scene]]\ntitle = "X"\npage = "ill_conditioning"\nsection = "1"\n'
                 'narration = "n"\npredict = "p"\nnotice = "w"\n[scene.knobs]\nlr = 99.0\n')
    monkeypatch.setattr(S, "SCENES_FILE", f)
    monkeypatch.setattr(S.load, "__defaults__", (f,))
    at = open_page(TOUR)
    assert not at.exception
    assert any("scene 1 ('X'): field 'knobs.lr'" in e.value for e in at.error)
