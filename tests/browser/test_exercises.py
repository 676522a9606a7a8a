"""Exercises in a real browser, against a real server and the real kernel: a student does one end to
end, a prediction is answered and settled by a real packet, and the instructor's class view follows a
student who passes, without reloading."""

from __future__ import annotations

from exercises import get_exercise
from tests.browser.conftest import shoot

BUILD_S = 60_000  # ms: building a sandbox or a cluster, on a loaded 2-core machine
CHECK_S = 90_000  # ms: every check of an exercise, packet walks one after the other


def new_class(instructor, name: str, lab_id: str) -> str:
    """Create a class from the instructor's home page; return its join code."""
    instructor.goto(instructor.base + "/")
    instructor.fill("input[name=name]", name)
    instructor.select_option("select[name=lab_id]", lab_id)
    instructor.click("form[action='/classes/new/'] button")
    instructor.wait_for_selector("#join-code")
    return instructor.locator("#join-code").inner_text().strip()


def join(student, code: str) -> None:
    student.goto(student.base + "/")
    student.fill("input[name=code]", code)
    student.click("form[action='/classes/join/'] button")
    student.wait_for_url(f"**/classes/{code}/")


def open_exercise(student, code: str, exercise_id: str) -> None:
    """From the class page, open an exercise and wait until its sandbox is built (the picture is in)."""
    student.goto(f"{student.base}/classes/{code}/")
    student.click(f"#exercise-{exercise_id} a")
    student.wait_for_url(f"**/classes/{code}/exercises/{exercise_id}/")
    student.wait_for_selector("#exercise-stage svg#topology", timeout=BUILD_S)


def check(page) -> None:
    """Ask for a check and wait for this attempt's results (the attempt number goes up)."""
    before = page.locator("#check-summary").inner_text() if page.locator("#check-summary").count() else ""
    page.click("#check")
    page.wait_for_function(
        "b => { const s = document.getElementById('check-summary');"
        " return s && s.innerText !== b && !s.classList.contains('htmx-added'); }",
        arg=before,
        timeout=CHECK_S,
    )


def apply(page, text: str) -> None:
    page.fill("#document", text)
    page.click("#apply")
    page.wait_for_selector("#submit-result #applied", timeout=BUILD_S)


def answer(page, choice: str) -> None:
    page.check(f"#predict input[name=choice][value='{choice}']")
    page.click("#predict-answer")


def test_a_student_does_a_cluster_exercise_end_to_end(login):
    exercise = get_exercise("clusterip-service")
    code = new_class(login("instructor"), "Kubernetes, morning", "kubernetes")
    student = login("student")
    join(student, code)
    open_exercise(student, code, exercise.id)
    assert student.locator("#predict").count() == 0  # this one asks no question
    assert student.locator("#document").input_value() == ""  # cluster exercises start with no manifests
    student.select_option("#console-target", "default/client")
    student.fill("#console input[name=line]", "ip addr show")
    student.click("#console button[type=submit]")
    student.wait_for_selector("#console-output .console-entry pre", timeout=30_000)

    check(student)
    assert "failed" in student.locator("#check-summary").get_attribute("class")
    failing = student.locator(".criterion.failed")
    assert failing.count() >= 1
    assert failing.first.locator(".observed").inner_text().strip() and failing.first.locator(".hint").count() == 1
    shoot(student, "exercise-check-failed")

    apply(student, exercise.solution)
    assert "service/hello-world-service created" in student.locator("#applied").inner_text()
    check(student)
    assert "passed" in student.locator("#check-summary").get_attribute("class"), student.locator(
        "#check-result"
    ).inner_text()
    assert student.locator(".criterion.failed").count() == 0
    assert student.locator(".criterion.passed").count() == len(exercise.checks)
    shoot(student, "exercise-passed")

    student.click("#more-hint")
    student.wait_for_selector("#hints .hint-list li")
    student.goto(student.url)  # the attempt and the hint are remembered
    assert "Attempt 2" in student.locator("#check-summary").inner_text()
    assert student.locator("#hints .hint-list li").count() == 1


def test_a_prediction_is_answered_then_settled_by_one_real_packet(login):
    exercise = get_exercise("masquerade")
    predict = exercise.predict
    code = new_class(login("instructor"), "Containers, afternoon", "connecting-containers")
    student = login("student")
    join(student, code)
    open_exercise(student, code, exercise.id)
    # The question comes first; the editor opens once it is answered.
    assert student.locator("#predict").bounding_box()["y"] < student.locator("#goal").bounding_box()["y"]
    assert student.locator("#document").count() == 0
    shoot(student, "exercise-predict")
    wrong = next(choice for choice in predict.choices if choice != predict.answer)
    answer(student, wrong)

    student.wait_for_selector("#predict-verdict", timeout=60_000)
    verdict = student.locator("#predict-verdict").inner_text()
    assert "Not quite" in verdict and predict.answer in verdict and "no route back" in verdict
    assert student.locator("#predict-state").count() == 0  # the real packet did what the answer says
    assert "timeout" in student.locator(".walk-verdict").inner_text()
    assert student.locator("#walk-events tr.walk-step[data-host=internet]").count() >= 1
    # The packet plays on the picture, hop by hop, to the end.
    student.wait_for_function("window.podpathWalk.current() === window.podpathWalk.steps().length - 1", timeout=60_000)
    assert student.locator("#picture #walk-packet").count() == 1
    assert student.locator("#document").is_visible()
    shoot(student, "exercise-predict-settled")


def test_the_instructors_class_view_follows_a_student_who_passes(login):
    exercise = get_exercise("router-forwarding")  # the demo class's lab, evolution, has this one
    student = login("student")
    join(student, "DEMO42")
    instructor = login("instructor")
    instructor.goto(instructor.base + "/classes/DEMO42/progress/")
    row = instructor.locator("#progress-grid tr", has=instructor.locator("th", has_text="student"))
    cell = row.locator(f"[id$='-{exercise.id}']")
    assert cell.count() == 1 and "passed" not in cell.inner_text()
    answered = int(instructor.locator(f"#tally-{exercise.id} .answered").inner_text())
    instructor.evaluate("window.notReloaded = true")

    open_exercise(student, "DEMO42", exercise.id)
    answer(student, exercise.predict.answer)
    student.wait_for_selector("#predict-verdict", timeout=60_000)
    assert "Right" in student.locator("#predict-verdict").inner_text()
    # The class's answers move before any packet is shown to the instructor.
    instructor.wait_for_function(
        f"document.querySelector('#tally-{exercise.id} .answered').innerText === '{answered + 1}'", timeout=10_000
    )

    apply(student, exercise.solution)
    check(student)
    assert "passed" in student.locator("#check-summary").get_attribute("class")
    instructor.wait_for_function(f"document.querySelector('[id$=\"-{exercise.id}\"].passed') !== null", timeout=10_000)
    assert "passed" in cell.inner_text() and instructor.evaluate("window.notReloaded") is True
    shoot(instructor, "class-progress")
