"""What went wrong when an instructor, two students and an admin used the dashboard at once (issue 13),
each journey in a real browser at 1280×800 against a real server and the real kernel."""

from __future__ import annotations

import subprocess
import sys

from labs.catalog import get_lab
from tests.browser.test_dashboard import BUILD_S, open_lab, step_to
from tests.browser.test_exercises import join, new_class

SIZE = (1280, 800)


def options(page, select_id: str) -> list[str]:
    return page.eval_on_selector_all(f"#{select_id} option", "os => os.map(o => o.value || o.textContent)")


def listen_for_noise(page) -> list[str]:
    """Console errors and answers of 404: a page that works says nothing in the console."""
    noise: list[str] = []
    page.on("console", lambda message: noise.append(message.text) if message.type == "error" else None)
    page.on("response", lambda response: noise.append(f"404 {response.url}") if response.status == 404 else None)
    return noise


def test_after_a_step_every_host_list_follows_and_a_refused_walk_stays_in_its_place(login):
    page = login("admin", viewport=SIZE)
    open_lab(page, "evolution")
    step_to(page, 1)
    step_to(page, 3)
    hosts = [h.name for h in get_lab("evolution").step(3).topology.hosts]
    page.wait_for_function("() => [...document.querySelectorAll('#walk-source option')].some(o => o.value === 'tor')")
    for select_id in ("walk-source", "console-target", "walk-destinations"):
        assert sorted(options(page, select_id)) == sorted(hosts), select_id
    # A walk from a host the step removed (a page left open from before, say): refused in words, in place.
    page.evaluate(
        "() => { const s = document.getElementById('walk-source'); s.add(new Option('m1', 'm1')); s.value = 'm1'; }"
    )
    page.fill("input[name=destination]", "10.0.0.2")
    page.click("#walk-panel button[type=submit]")
    page.wait_for_selector("#walk-output .error", timeout=30_000)
    assert "m1" in page.locator("#walk-output .error").inner_text()
    assert page.locator("header.top .brand").is_visible() and page.locator("svg#topology").is_visible()


def test_three_quick_clicks_on_next_move_three_steps(login):
    page = login("admin", viewport=SIZE)
    open_lab(page, "evolution")
    step_to(page, 1)
    for _ in range(3):
        page.click("nav.steps button.nav:has-text('next')")
    page.wait_for_selector("nav.steps button.current:text-is('4')", timeout=BUILD_S)
    page.wait_for_timeout(1_000)  # and it stays there: no click is counted twice or lost
    assert page.locator("nav.steps button.current").inner_text() == "4"


def test_present_opens_the_player_and_a_student_sees_whom_they_follow_leaves_and_rejoins(login):
    instructor = login("instructor", viewport=SIZE)
    code = new_class(instructor, "Present, afternoon", "evolution")
    instructor.click("#present-toggle")
    instructor.wait_for_url("**/sandbox/**")
    instructor.wait_for_selector("svg#topology", timeout=BUILD_S)

    student = login("student", viewport=SIZE)
    join(student, code)
    student.click("#open-sandbox")
    student.wait_for_selector("svg#topology", timeout=BUILD_S)
    assert "You are following instructor, step 1" in student.locator("#following").inner_text()

    step_to(instructor, 2)
    student.wait_for_selector("nav.steps button.current:text-is('2')", timeout=BUILD_S)
    student.wait_for_function("() => document.getElementById('following').innerText.includes('step 2')")

    asked = []
    student.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    student.click("nav.steps button.nav:has-text('next')")
    student.wait_for_selector("nav.steps button.current:text-is('3')", timeout=BUILD_S)
    assert asked and "You are following instructor" in asked[0]
    student.wait_for_function("() => document.getElementById('following').innerText.includes('You left')")

    student.click("#follow-toggle")  # rejoin: back on the class's step
    student.wait_for_selector("nav.steps button.current:text-is('2')", timeout=BUILD_S)
    assert "You are following instructor, step 2" in student.locator("#following").inner_text()
    instructor.goto(f"{instructor.base}/classes/{code}/")
    instructor.click("#present-toggle")  # stop presenting: back to the class page
    instructor.wait_for_url(f"**/classes/{code}/")


def test_a_sandbox_deleted_with_the_cli_offers_a_rebuild_and_a_gone_hosts_cable_turns_grey(login, podpath_server):
    from netcore import names

    _, env = podpath_server
    student = login("student", viewport=SIZE)
    sandbox = open_lab(student, "evolution")
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from netcore.sandbox import lifecycle; lifecycle.delete_sandbox(sys.argv[1])",
            sandbox,
        ],
        env=env,
        check=True,
    )
    student.reload()
    student.wait_for_selector("#sandbox-missing", timeout=10_000)
    admin = login("admin", viewport=SIZE)
    admin.goto(admin.base + "/manage/sandboxes/")
    assert "not on the kernel" in admin.locator(f"#row-{sandbox}").inner_text()

    student.click("#rebuild")
    student.wait_for_selector("svg#topology", timeout=BUILD_S)
    student.wait_for_selector("svg#topology[data-live-seq]", timeout=10_000)  # rebuilt on step 1, live
    subprocess.run(["ip", "netns", "delete", names.netns_name(sandbox, "m1")], check=True)
    student.wait_for_selector("#node-m1.missing", state="attached", timeout=10_000)
    cables = student.locator("svg#topology line.link[data-hosts~='m1']")
    assert cables.count() >= 1
    student.wait_for_function(
        "() => [...document.querySelectorAll(\"svg#topology line.link[data-hosts~='m1']\")]"
        ".every(l => l.classList.contains('missing'))",
        timeout=10_000,
    )
    others = student.locator("svg#topology line.link:not([data-hosts~='m1'])")
    assert all("missing" not in (others.nth(i).get_attribute("class") or "") for i in range(others.count()))


def test_the_pages_of_a_class_and_a_prediction_say_nothing_in_the_console(login):
    code = new_class(login("instructor", viewport=SIZE), "Quiet pages", "evolution")
    student = login("student", viewport=SIZE)
    noise = listen_for_noise(student)
    join(student, code)
    exercise = student.locator("#exercises a").first
    exercise.click()
    student.wait_for_selector("#exercise-stage svg#topology", timeout=BUILD_S)
    assert student.locator("#predict-answer").count() == 1  # the class's exercise asks first
    student.locator("#predict input[name=choice]").first.check()
    student.click("#predict-answer")
    student.wait_for_selector("#predict-verdict", timeout=60_000)
    assert not student.locator("#predict-verdict").inner_text().rstrip().endswith("None")
    student.goto(student.base + "/")
    student.wait_for_timeout(500)
    assert noise == []


PHONE = (390, 844)


def overflow(page) -> int:
    """How many pixels the page is wider than the screen (0: nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_no_page_scrolls_sideways_on_a_phone(login):
    instructor = login("instructor", viewport=PHONE)
    code = new_class(instructor, "Phones", "evolution")
    admin = login("admin", viewport=PHONE)
    student = login("student", viewport=PHONE)
    join(student, code)
    wide = {}
    for page, path in (
        (student, "/"),
        (instructor, "/"),
        (admin, "/"),
        (student, f"/classes/{code}/"),
        (instructor, f"/classes/{code}/"),
        (admin, "/manage/sandboxes/"),
        (student, "/labs/evolution/"),
    ):
        page.goto(page.base + path)
        wide[f"{page.url} as {id(page)}"] = overflow(page)
    student.goto(f"{student.base}/classes/{code}/")
    student.click("#open-sandbox")
    student.wait_for_selector("svg#topology", timeout=BUILD_S)
    student.select_option("#walk-source", "m1")
    student.fill("input[name=destination]", "10.0.0.2")
    student.click("#walk-panel button[type=submit]")
    student.wait_for_selector("#walk-events tr.walk-step", state="attached", timeout=BUILD_S)
    wide["player with a walk"] = overflow(student)
    assert {where: px for where, px in wide.items() if px > 0} == {}
