"""Browser tests: Playwright driving Debian's Chromium against a real `streamlit run` server.

Cold deep links on a freshly started server, keyboard changes of a knob, and navigation keeping
the knobs. A screenshot of every page is saved under tests/screenshots/ (git-ignored) for people
to look at.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, Server, require_chromium, wait_for_app
from ui.pages import BY_ID, PAGES

pytestmark = pytest.mark.browser
EXISTING = [p for p in PAGES if p.exists()]


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server():
    require_chromium()
    s = Server()
    yield s
    s.stop()


def _menu_labels(page) -> list[str]:
    return [t.strip() for t in page.get_by_test_id("stSidebar").get_by_test_id("stPageLink")
            .all_inner_texts()]


@pytest.mark.parametrize("info", EXISTING, ids=lambda p: p.id)
def test_cold_deep_link_on_a_fresh_server(browser, info):
    server = Server()  # a new process: the first visitor arrives by deep link
    try:
        ctx = browser.new_context(viewport={"width": 1400, "height": 2400})
        page = ctx.new_page()
        outside = []  # the app must work offline: nothing may be fetched from another host
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
            (server.url, "data:", "blob:")) else None)
        t0 = time.perf_counter()
        page.goto(f"{server.url}/{info.url_path}")
        wait_for_app(page)
        charts = info.id not in ("home", "lecture_tour")
        if charts:
            page.locator("[data-testid='stVegaLiteChart'] svg").first.wait_for(timeout=60_000)
        first_render = time.perf_counter() - t0
        assert page.get_by_test_id("stException").count() == 0
        assert page.get_by_test_id("stDialog").count() == 0
        assert info.label.split(" ")[0] in page.title() or info.id == "home"
        menu = " | ".join(_menu_labels(page))
        for other in EXISTING:
            assert other.menu_label in menu, f"menu lacks {other.menu_label}: {menu}"
        if info.id != "home":
            assert page.get_by_role("heading", name=info.label).count() >= 1
        if charts:
            assert page.locator("[data-testid='stVegaLiteChart'] svg").count() >= 1
        assert re.search(r"[?&]lr=", page.url), "the URL does not carry the knobs"
        assert not outside, f"requests left the machine: {outside}"
        page.wait_for_timeout(800)  # let Vega finish drawing before the picture
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{info.id}.png"), full_page=True)
        print(f"\n{info.id}: first render {first_render:.2f} s after a cold deep link")
        ctx.close()
    finally:
        server.stop()


def _lr_slider(page):
    return page.get_by_role("slider", name=re.compile("Learning rate"))


def test_keyboard_change_of_the_learning_rate_updates_url_and_chart(browser, server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = ctx.new_page()
    page.goto(f"{server.url}/Ill_conditioning?lr=0.15")
    wait_for_app(page)
    chart = page.locator("[data-testid='stVegaLiteChart'] svg").first
    chart.wait_for()
    before = chart.inner_html()
    slider = _lr_slider(page)
    slider.focus()
    slider.press("ArrowRight")
    wait_for_app(page)
    page.wait_for_function("() => window.location.search.includes('lr=0.16')", timeout=30_000)
    page.wait_for_timeout(500)
    assert chart.inner_html() != before, "the chart did not change"
    assert page.get_by_test_id("stException").count() == 0
    ctx.close()


def test_navigation_keeps_knobs_after_a_deep_link(browser, server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1200})
    page = ctx.new_page()
    page.goto(f"{server.url}/Ill_conditioning?lr=0.05&kappa=100&seed=7")
    wait_for_app(page)
    others = [p for p in EXISTING if p.id != "ill_conditioning"]
    for other in others + [BY_ID["ill_conditioning"]]:
        page.get_by_test_id("stSidebar").get_by_test_id("stPageLink").filter(
            has_text=other.menu_label).first.click()
        page.wait_for_url(re.compile(rf"/{other.url_path}(\?|$)"), timeout=30_000)
        wait_for_app(page)
        assert "lr=0.05" in page.url and "seed=7" in page.url, page.url
        assert page.get_by_test_id("stException").count() == 0
    assert "kappa=100" in page.url
    assert _lr_slider(page).get_attribute("aria-valuetext") in ("0.05", "0.050")
    ctx.close()


def test_a_phone_sized_screen_renders_without_errors(browser, server):
    ctx = browser.new_context(viewport={"width": 390, "height": 2400}, device_scale_factor=2,
                              is_mobile=True, has_touch=True)
    page = ctx.new_page()
    page.goto(f"{server.url}/Ill_conditioning")
    wait_for_app(page)
    page.locator("[data-testid='stVegaLiteChart'] svg").first.wait_for()
    page.wait_for_timeout(800)
    assert page.get_by_test_id("stException").count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "phone_ill_conditioning.png"))
    ctx.close()


def test_tour_next_and_open_scene_work_from_a_cold_deep_link(browser, server):
    from ui import scenes as S
    scenes = S.load()
    ctx = browser.new_context(viewport={"width": 1400, "height": 1400})
    page = ctx.new_page()
    page.goto(f"{server.url}/Lecture_tour?scene=3")
    wait_for_app(page)
    page.get_by_role("button", name="Next").click()
    page.wait_for_function("() => window.location.search.includes('scene=4')", timeout=30_000)
    wait_for_app(page)
    scene = scenes[3]
    assert page.get_by_text(scene.title).count() >= 1
    page.get_by_role("link", name=re.compile("Open this scene")).click()
    target = BY_ID[scene.page]
    page.wait_for_url(re.compile(rf"/{target.url_path}\?"), timeout=30_000)
    wait_for_app(page)
    for name, value in S.link_params(scene, present=False).items():
        assert f"{name}={value}".replace(",", "%2C") in page.url or f"{name}={value}" in page.url
    assert page.get_by_test_id("stException").count() == 0
    ctx.close()


def test_presenter_view_is_readable_at_1280x720(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    page.goto(f"{server.url}/Ill_conditioning?present=1&show=lr,kappa")
    wait_for_app(page)
    page.locator("[data-testid='stVegaLiteChart'] svg").first.wait_for()
    main = page.get_by_test_id("stMain")
    assert main.get_by_role("slider", name=re.compile("Learning rate")).is_visible()
    assert main.get_by_role("slider", name=re.compile("Condition number")).is_visible()
    assert main.get_by_role("slider", name=re.compile("Momentum")).count() == 0  # not in the scene
    tab_px = page.get_by_test_id("stTab").first.locator("p").evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)")
    assert tab_px >= 18, f"tab labels are {tab_px}px: too small for a projector"
    assert page.get_by_test_id("stException").count() == 0
    page.wait_for_timeout(800)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "presenter_ill_conditioning.png"))
    ctx.close()


WITH_PARTS = [p for p in EXISTING if p.parts]


@pytest.mark.parametrize("info", WITH_PARTS, ids=lambda p: p.id)
def test_every_part_opens_by_its_tab_and_by_a_link(browser, server, info):
    """Clicking a tab draws that part and writes ?part= into the URL; a link with ?part= opens
    on that tab. A screenshot of every part is saved."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 2000})
    page = ctx.new_page()
    last = info.parts[-1]
    page.goto(f"{server.url}/{info.url_path}?part={last.id}")
    wait_for_app(page)
    assert page.get_by_role("tab", name=last.label).get_attribute("aria-selected") == "true"
    for part in info.parts:
        tab = page.get_by_role("tab", name=part.label)
        if tab.get_attribute("aria-selected") != "true":
            tab.click()
            page.wait_for_function(f"() => window.location.search.includes('part={part.id}')",
                                   timeout=30_000)
        wait_for_app(page)
        panel = page.get_by_role("tabpanel").filter(has=page.locator("[data-testid='stVegaLiteChart']"))
        panel.locator("[data-testid='stVegaLiteChart'] svg").first.wait_for(timeout=60_000)
        assert tab.get_attribute("aria-selected") == "true"
        assert page.get_by_test_id("stException").count() == 0
        assert page.locator("[data-testid='stMetric']").count() >= 1
        page.wait_for_timeout(600)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{info.id}-{part.id}.png"), full_page=True)
    ctx.close()


def test_a_knob_reruns_only_the_part_and_the_link_menu_and_bundle_follow(browser, server):
    """A knob change reruns the open part's fragment only: the page's title is not sent again,
    yet the URL, the share link, the menu's links and the bundle's params.json all carry the new
    values (they are drawn from inside the fragment, or read when clicked)."""
    import io
    import json
    import zipfile

    ctx = browser.new_context(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
    page = ctx.new_page()
    frames: list[bytes] = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda f: frames.append(f if isinstance(f, bytes) else f.encode())))
    page.goto(f"{server.url}/Cliffs?part=cliff&lr=0.15&steps=100")
    wait_for_app(page)
    page.locator("[data-testid='stVegaLiteChart'] svg").first.wait_for()
    title = BY_ID["cliffs"].label.encode()
    assert any(title in f for f in frames), "the first run did not send the title"
    for name, key, want in (("Learning rate", "ArrowRight", "lr=0.16"),
                            ("Steps", "ArrowRight", "steps=120")):
        frames.clear()
        slider = page.get_by_role("slider", name=re.compile("^" + name)).first
        slider.focus()
        slider.press(key)
        page.wait_for_function(f"() => window.location.search.includes('{want}')", timeout=30_000)
        wait_for_app(page)
        assert frames, "no rerun was sent"
        assert not any(title in f for f in frames), f"{name}: the whole page reran, not the part"
        share = page.get_by_test_id("stSidebar").get_by_test_id("stCode").inner_text()
        assert "lr=0.16" in share and want in share.replace("\n", ""), share
    hrefs = page.get_by_test_id("stSidebar").get_by_test_id("stPageLink").locator("a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    assert hrefs and all("lr=0.16" in h for h in hrefs), hrefs
    assert any("steps=120" in h for h in hrefs if "Cliffs" in h), hrefs
    with page.expect_download() as dl:
        page.get_by_role("button", name=re.compile("^Bundle")).click()
    with zipfile.ZipFile(io.BytesIO(open(dl.value.path(), "rb").read())) as z:
        params = json.loads(z.read("params.json"))["params"]
    assert (params["lr"], params["steps"]) == ("0.16", "120"), params
    assert page.get_by_test_id("stException").count() == 0
    ctx.close()


def test_a_click_on_the_cliff_map_moves_the_start_there(browser, server):
    """The loss map spans w in [0, 10] and b in [-8, 2]; a click a quarter of the way in from its
    top-left corner starts the runs near (w, b) = (2.5, -0.5), and the link follows."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = ctx.new_page()
    page.goto(f"{server.url}/Cliffs?part=cliff")
    wait_for_app(page)
    image = page.locator("[data-testid='stVegaLiteChart']").first.locator("g.mark-image image")
    image.wait_for()
    box = image.bounding_box()
    page.mouse.click(box["x"] + 0.25 * box["width"], box["y"] + 0.25 * box["height"])
    page.wait_for_function("() => window.location.search.includes('w0=2')", timeout=30_000)
    wait_for_app(page)
    params = dict(p.split("=") for p in page.url.split("?", 1)[1].split("&"))
    assert abs(float(params["w0"]) - 2.5) <= 0.45 and abs(float(params["b0"]) + 0.5) <= 0.45, params
    assert page.get_by_test_id("stException").count() == 0
    ctx.close()
