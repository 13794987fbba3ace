"""The studio in a real browser: headless Chromium (Debian's ``chromium`` and ``chromium-driver``)
driven by Selenium loads a generated reel, adds a keyframe, paints two point hints, previews a
shot and renders the reel; it checks what the page says and the pixels it shows.

Screenshots are kept: in pytest's temporary folder, and copied to ``$STUDIO_ARTEFACTS`` (default
``test-artefacts/studio/``, git-ignored).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the studio extra (fastapi) is not installed")
pytest.importorskip("selenium", reason="selenium is not installed (the dev extra)")

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.clips import painted_photo_reel
from videocolor.studio.app import create_app
from videocolor.studio.session import Studio

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or not Path(CHROMEDRIVER).is_file(),
    reason="no headless Chromium: apt-get install chromium chromium-driver (make setup does)",
)

GREEN, BLUE = "#10c020", "#2040e0"


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where screenshots go; copied to the artefact folder when the module ends."""
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    kept = Path(os.environ.get("STUDIO_ARTEFACTS", ROOT / "test-artefacts" / "studio"))
    kept.mkdir(parents=True, exist_ok=True)
    for shot in folder.glob("*.png"):
        shutil.copy2(shot, kept / shot.name)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Studio, Path]]:
    """A studio on a generated reel behind a real uvicorn on a free port: (URL, studio, refs)."""
    import uvicorn

    grey, refs = painted_photo_reel(tmp_path_factory.mktemp("reel"), (8, 8), (3,))
    studio = Studio(grey)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    config = uvicorn.Config(create_app(studio), log_level="warning")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/", studio, refs
    web.should_exit = True
    thread.join(10)
    studio.close()
    sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1300,1000", "--force-device-scale-factor=1"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def wait(driver: WebDriver, condition, timeout: float = 30.0):
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: condition(d))


def pixels(element: WebElement) -> np.ndarray:
    """What the browser shows of an element, as RGB."""
    data = np.frombuffer(element.screenshot_as_png, np.uint8)
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB).astype(int)


def save(element: WebElement, folder: Path, name: str) -> None:
    element.parent.execute_script("arguments[0].scrollIntoView()", element)
    (folder / name).write_bytes(element.screenshot_as_png)


def click_at(driver: WebDriver, element: WebElement, x: float, y: float) -> None:
    """Click at shares (x, y) of an element's width and height (Selenium offsets are from its
    centre)."""
    size = element.size
    dx, dy = round((x - 0.5) * size["width"]), round((y - 0.5) * size["height"])
    ActionChains(driver).move_to_element_with_offset(element, dx, dy).click().perform()


def test_a_colourists_session_in_the_browser(server, browser: WebDriver, artefacts: Path) -> None:
    url, studio, refs = server
    browser.get(url)
    cards = wait(browser, lambda d: len(found := d.find_elements(By.CSS_SELECTOR, ".shot")) == 2
                 and found)  # fmt: skip
    wait(browser, lambda d: all(d.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth > 0",
        c.find_element(By.TAG_NAME, "img")) for c in cards))  # fmt: skip
    assert "frames 8\N{EN DASH}15" in cards[1].text and "cut in" in cards[1].text
    assert (
        "reaches the most of its shot" in cards[0].find_element(By.CSS_SELECTOR, ".suggested").text
    )
    save(browser.find_element(By.ID, "shots-section"), artefacts, "studio-shots.png")

    # a painted keyframe dropped in: checked, then listed as used
    cards[0].find_element(By.CSS_SELECTOR, ".upload-frame").clear()
    cards[0].find_element(By.CSS_SELECTOR, ".upload-frame").send_keys("3")
    cards[0].find_element(By.CSS_SELECTOR, ".upload").send_keys(str(refs / "000003.png"))
    painted = wait(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, '#shot-0 .painted[data-frame="3"]')
    )
    assert "OK" in painted[0].text and "(upload)" in painted[0].text
    assert (studio.workspace.refs / "000003.png").is_file()

    # two point hints on shot 1's suggested keyframe: each hinted place takes its hint's colour
    browser.find_element(By.CSS_SELECTOR, "#shot-1 .colour-here").click()
    image = browser.find_element(By.ID, "hint-image")
    wait(browser, lambda d: image.get_attribute("data-hints") == "0")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", image)
    places = {GREEN: (0.3, 0.35), BLUE: (0.7, 0.65)}
    for count, (colour, (x, y)) in enumerate(places.items(), 1):
        browser.execute_script(
            "arguments[0].value = arguments[1]", browser.find_element(By.ID, "hint-colour"), colour
        )
        click_at(browser, image, x, y)
        wait(browser, lambda d, n=count: image.get_attribute("data-hints") == str(n))
    assert "2 hints · recoloured in" in browser.find_element(By.ID, "hint-status").text
    shown = pixels(image)
    height, width = shown.shape[:2]
    for colour, (x, y) in places.items():
        row, col = round(y * height), round(x * width)
        r, g, b = shown[row - 2 : row + 3, col - 2 : col + 3].reshape(-1, 3).mean(axis=0)
        if colour == GREEN:
            assert g > r + 15 and g > b + 15, (colour, r, g, b)
        else:
            assert b > r + 15 and b > g + 5, (colour, r, g, b)
    save(browser.find_element(By.ID, "editor"), artefacts, "studio-hints.png")
    browser.find_element(By.ID, "hint-save").click()
    frame = int(browser.find_element(By.ID, "editor-frame").text)
    saved = wait(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, f'#shot-1 .painted[data-frame="{frame}"]'),
    )
    assert "(hints)" in saved[0].text

    # a preview of shot 1 from the hinted keyframe, with where the colour is unsure
    browser.find_element(By.CSS_SELECTOR, "#shot-1 .preview-shot").click()
    section = browser.find_element(By.ID, "preview")
    browser.execute_script("arguments[0].scrollIntoView()", section)
    wait(browser, lambda d: section.get_attribute("data-state") == "done", 60)
    assert (
        f"8 of 8 frames from keyframes {frame}"
        in browser.find_element(By.ID, "preview-status").text
    )
    assert "Paint here next: frame" in browser.find_element(By.ID, "paint-next").text
    scrub = browser.find_element(By.ID, "preview-scrub")
    browser.execute_script(
        "arguments[0].value = 7; arguments[0].dispatchEvent(new Event('input'))", scrub
    )
    wait(browser, lambda d: "frame 15" in d.find_element(By.ID, "preview-frame").text)
    for name in ("preview-before", "preview-after", "preview-unsure"):
        element = browser.find_element(By.ID, name)
        wait(browser, lambda d, e=element: d.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0 "
            "&& arguments[0].src.includes('015')", e))  # fmt: skip
    before, after = (
        pixels(browser.find_element(By.ID, "preview-before")),
        pixels(browser.find_element(By.ID, "preview-after")),
    )
    assert np.abs(before - before.mean(axis=-1, keepdims=True)).mean() < 2  # grey
    assert np.abs(after - after.mean(axis=-1, keepdims=True)).mean() > 4  # coloured
    save(section, artefacts, "studio-preview.png")

    # a render, with progress; a reload shows the same render rather than starting another
    browser.find_element(By.ID, "render-start").click()
    wait(browser, lambda d: "colorize #1" in d.find_element(By.ID, "render-status").text)
    browser.refresh()
    status = wait(
        browser,
        lambda d: (s := d.find_element(By.ID, "render-status").text) != "no render yet" and s,
    )
    assert "colorize #1" in status
    wait(
        browser,
        lambda d: d.find_element(By.ID, "render").get_attribute("data-state") == "done",
        120,
    )
    status = browser.find_element(By.ID, "render-status").text
    assert "done" in status and "grey-colour.mp4" in status
    assert studio.renders.current.number == 1 and Path(studio.renders.current.output).is_file()
    assert browser.find_element(By.ID, "render-progress").get_attribute("value") == "16"
    save(browser.find_element(By.ID, "render"), artefacts, "studio-render.png")
