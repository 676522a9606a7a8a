"""Commands to try run where they are shown: a click runs one in the learner jail and its output appears
under it, with what the lab promised."""

from __future__ import annotations

from labs.catalog import get_lab
from tests.browser.test_dashboard import open_lab, step_to


def test_a_student_clicks_a_command_to_try_and_sees_its_real_output_in_place(login):
    step = get_lab("connecting-containers").step(3)
    page = login("student")
    open_lab(page, "connecting-containers")
    step_to(page, 3)
    curl = next(i for i, t in enumerate(step.tries) if t.command.startswith("curl"))
    form = page.locator("form.try").nth(curl)
    form.locator("button.run-try").click()
    form.locator(".try-output .console-entry pre").wait_for(timeout=30_000)
    assert step.tries[curl].output in form.locator(".try-output").inner_text()
