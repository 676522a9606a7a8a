"""The Gateway API in a real browser: the kubernetes lab's Gateway step with a walk through the Gateway,
and a Gateway exercise whose prediction a real packet settles before the student fixes the route."""

from __future__ import annotations

from exercises import get_exercise
from labs.catalog import get_lab
from tests.browser.conftest import shoot
from tests.browser.test_dashboard import BUILD_S, open_lab, step_to
from tests.browser.test_exercises import answer, apply, check, join, new_class, open_exercise

GATEWAY_STEP = next(step.number for step in get_lab("kubernetes").steps if "Gateway API" in step.title)


def test_the_gateway_step_builds_and_a_walk_goes_through_the_gateways_nginx(login):
    page = login("instructor")
    open_lab(page, "kubernetes")
    step_to(page, GATEWAY_STEP)
    assert "Gateway API" in page.locator(".narrative h1").inner_text()
    assert page.locator("[id^='node-'][id*='hello-gateway-podpath']").count() >= 1
    page.select_option("select[name=source]", "external")
    page.fill("input[name=destination]", "http://canary.hello.org/")
    page.click("#walk-panel button[type=submit]")
    page.wait_for_selector("#walk-events tr.walk-step", timeout=BUILD_S)
    notes = page.locator(".walk-notes").inner_text()
    assert "Gateway" in notes and "canary.hello.org" in notes  # the listener and the rule, in words
    assert "delivered" in page.locator(".walk-verdict").inner_text()
    shoot(page, "player-gateway-walk")


def test_a_gateway_prediction_is_settled_by_a_real_packet_then_the_route_is_fixed(login):
    exercise = get_exercise("gateway-predict-precedence")
    code = new_class(login("instructor"), "Gateways, evening", "kubernetes")
    student = login("student")
    join(student, code)
    open_exercise(student, code, exercise.id)
    wrong = next(choice for choice in exercise.predict.choices if choice != exercise.predict.answer)
    answer(student, wrong)
    student.wait_for_selector("#predict-verdict", timeout=60_000)
    verdict = student.locator("#predict-verdict").inner_text()
    assert "Not quite" in verdict and exercise.predict.answer in verdict
    assert "delivered" in student.locator(".walk-verdict").inner_text()
    check(student)
    assert "failed" in student.locator("#check-summary").get_attribute("class")
    apply(student, exercise.solution)
    check(student)
    assert "passed" in student.locator("#check-summary").get_attribute("class"), student.locator(
        "#check-result"
    ).inner_text()
    shoot(student, "exercise-gateway-passed")


def test_the_life_of_a_packet_journey_through_a_gateway_plays(login):
    lab = get_lab("life-of-a-packet")
    journey = next(step for step in lab.steps if "Gateway" in step.title)
    page = login("instructor")
    open_lab(page, "life-of-a-packet")
    step_to(page, journey.number)
    page.click("ul.step-walks button.play-walk >> nth=0")
    page.wait_for_selector("#walk-events tr.walk-step", timeout=BUILD_S)
    assert "Gateway" in page.locator(".walk-notes").inner_text()
    page.click("[data-walk=play]")
    page.wait_for_function("window.podpathWalk.current() === window.podpathWalk.steps().length - 1", timeout=60_000)
    assert page.locator("#walk-packet").count() == 1
