"""The questionnaire page in a real headless Chromium (Debian's, through its chromedriver).

A person answers the drone scenario in Dutch, question by question, with the keyboard
where a keyboard will do, reloads the page half-way (nothing typed is lost), and ends
with the same decision as `kspolicy eval` gives for the case file. A screenshot of the
final page is kept in build/ for people to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kspolicy.eval.runtime import split_path
from kspolicy.tools.cli import main

from .conftest import ROOT
from .test_service_support import DRONE, Served, case_json, shared

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None
)

pytestmark = pytest.mark.skipif(
    (CHROMIUM is None or DRIVER is None) and not os.environ.get("CI"),
    reason="no Chromium and chromedriver here (CI installs them)",
)

MISSING = object()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    return shared(tmp_path_factory.mktemp("page"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    assert CHROMIUM is not None and DRIVER is not None
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="kspolicy-chromium-")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=420,1400",  # a phone's width
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _value(case: dict[str, Any], fact: str) -> Any:
    target: Any = case
    for name, index in split_path(fact):
        if not isinstance(target, dict) or name not in target:
            return MISSING
        target = target[name]
        if index is not None:
            if index >= len(target):
                return MISSING
            target = target[index]
    return target


def _question(driver: Any) -> tuple[str, str] | None:
    """The fact and kind of the question shown; None once none is left."""
    found = driver.execute_script(
        "const f = document.querySelector('#ask fieldset');"
        "const alert = document.getElementById('alert');"
        "if (!alert.hidden) return ['alert', alert.textContent];"
        "if (f) return [f.dataset.fact, f.dataset.kind];"
        "return document.getElementById('finish').hidden ? ['wait', ''] : null;"
    )
    if found is None:
        return None
    assert found[0] != "alert", f"the page refused an answer: {found[1]}"
    return found[0], found[1]


def _wait_for_change(driver: Any, before: str | None) -> tuple[str, str] | None:
    from selenium.webdriver.support.ui import WebDriverWait

    result: list[tuple[str, str] | None] = []

    def changed(d: Any) -> bool:
        now = _question(d)
        if now is not None and (now[0] == "wait" or now[0] == before):
            return False
        result.append(now)
        return True

    WebDriverWait(driver, 15, poll_frequency=0.02).until(changed)
    return result[-1]


def _answer(driver: Any, fact: str, kind: str, value: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    form = driver.find_element(By.ID, "ask")
    if value is MISSING:
        form.find_element(By.ID, "skip").click()
        return
    if kind == "records":
        field = form.find_element(By.ID, "answer")
        field.send_keys(str(len(value)), Keys.ENTER)  # the keyboard: Enter answers
        return
    if kind in ("int", "number", "text", "date"):
        form.find_element(By.ID, "answer").send_keys(str(value), Keys.ENTER)
        return
    if kind == "bool":
        form.find_element(By.CSS_SELECTOR, f"input[value='{str(value).lower()}']").click()
    elif kind == "code":
        selects = form.find_elements(By.TAG_NAME, "select")
        if selects:
            Select(selects[0]).select_by_value(value)
        else:
            form.find_element(By.CSS_SELECTOR, f"input[value='{value}']").click()
    else:  # codes: a checkbox for each
        for code in value:
            form.find_element(By.CSS_SELECTOR, f"input[value='{code}']").click()
    form.find_element(By.ID, "next").click()


def test_drone_scenario_answered_in_dutch_gives_the_decision_of_kspolicy_eval(
    served: Served, browser: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    case = case_json(DRONE)
    browser.get(f"{served.url}/?lang=nl&as_of={case['as_of']}")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl"
    assert browser.find_element(By.ID, "lang").tag_name == "select"  # a language to pick
    current = _wait_for_change(browser, None)
    asked: list[str] = []
    reloaded = False
    while current is not None:
        fact, kind = current
        asked.append(fact)
        assert len(asked) < 80, asked  # never the same questions over and over
        label = browser.find_element(By.ID, "question-text").text
        assert label and "?" in label  # the question itself, in words
        _answer(browser, fact, kind, _value(case, fact))
        current = _wait_for_change(browser, fact)
        if len(asked) == 4 and not reloaded:
            # Nothing typed is lost on reload: the answers are kept in the browser.
            shown = browser.find_element(By.ID, "answers").text
            browser.refresh()
            current = _wait_for_change(browser, None)
            assert browser.find_element(By.ID, "answers").text == shown
            reloaded = True
    assert reloaded and "partners[0].country" in asked and "institution" in asked
    # Each answer is listed beside its own question.
    answers = browser.find_element(By.ID, "answers").text
    assert "Welk programma financiert het project?\nBOF" in answers, answers
    assert "project.title" not in asked  # asked only what can change the decision
    headline = browser.find_element(By.ID, "headline").text
    # The headline is a sentence in the reader's words: the label, never the code.
    assert "contactpunt" in headline and "notify" not in headline
    browser.find_element(By.ID, "finish").click()
    WebDriverWait(browser, 15, poll_frequency=0.02).until(
        lambda d: d.find_element(By.ID, "result").is_displayed()
    )
    outcomes = json.loads(browser.find_element(By.ID, "decision-id").get_attribute("data-verdict"))
    explanation = browser.find_element(By.ID, "explanation").text
    assert "Contactpunt" in explanation and "researchsecurity@uantwerpen.be" in explanation
    kept = browser.execute_script("return window.localStorage.length")
    assert kept == 0  # submitted: nothing left in the browser
    build = ROOT / "build"
    build.mkdir(exist_ok=True)
    browser.save_screenshot(str(build / "service-questionnaire.png"))

    assert main(["eval", str(DRONE), "--format", "json", "--lang", "nl"]) == 0
    expected = json.loads(capsys.readouterr().out)
    assert outcomes == expected["outcomes"]


def test_the_page_is_usable_with_the_keyboard_and_labelled(served: Served, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{served.url}/?lang=en")
    browser.execute_script("window.localStorage.clear()")
    browser.refresh()
    _wait_for_change(browser, None)
    # Every control has a label a screen reader reads.
    unlabelled = browser.execute_script(
        "return Array.from(document.querySelectorAll('input, select')).filter(e =>"
        " e.type !== 'hidden' && !(e.labels && e.labels.length)).map(e => e.id || e.name)"
    )
    assert unlabelled == []
    # The first question has the focus path: Tab reaches the answer field.
    active = browser.switch_to.active_element
    active.send_keys("\ue004")  # Tab
    focused = browser.switch_to.active_element.tag_name
    assert focused in ("input", "select", "button", "a")
    assert Path(ROOT / "src" / "kspolicy" / "service" / "static" / "page.css").is_file()
    assert browser.find_element(By.CSS_SELECTOR, "meta[name=viewport]")
