"""The `podpath` command line without a kernel: lab listings, help, the current sandbox, completion."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from labs.management.context import Current, current_sandbox, store_sandbox
from netcore import names
from netcore.sandbox.registry import SandboxRecord, now_iso, write_record
from tests.conftest import new_sandbox_name


def run_command(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_lab_show_lists_a_cluster_labs_objects_per_step():
    shown = run_command("lab", "show", "kubernetes")
    step = shown[shown.index("\n6. ") :]
    step = step[: step.index("\n7. ")]
    assert "cluster: 2 nodes, pod network vxlan" in step
    assert "objects: pod/hello-world, pod/client, service/hello-world-service" in step
    assert "try on client: curl -s -m 2 http://{{svc:hello-world-service}}/  (should fail)" in step


def test_lab_show_works_for_every_lab():
    from labs.selectors import lab_list

    for lab in lab_list():
        shown = run_command("lab", "show", lab.id)
        assert f"\n{len(lab.steps)}. " in shown
        assert max(len(line) for line in shown.splitlines()[2:] if not line.startswith("   try")) <= 100


# -- podpath --help: the product's commands, grouped, on one screen ---------------------------------


def podpath_main(capsys, *args: str) -> tuple[int, str, str]:
    from podpath.cli import main

    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("args", [(), ("--help",), ("-h",), ("help",)])
def test_podpath_alone_shows_the_products_commands_grouped_on_one_screen(capsys, args):
    code, out, _ = podpath_main(capsys, *args)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) <= 24 and max(map(len, lines)) <= 80, out
    groups = {line.split(" (")[0].rstrip(":"): [] for line in lines if line.endswith(":")}
    for line in lines:
        if line.endswith(":"):
            title = line.split(" (")[0].rstrip(":")
        elif line.startswith("  "):
            groups[title].append(line.split()[0])
    assert groups == {
        "Labs and sandboxes": ["lab", "sandbox", "use"],
        "Cluster": ["apply", "get", "describe", "delete", "exec", "cni", "probe", "trace"],
        "Serving": ["serve", "agent"],
        "Admin": ["manage", "demo_accounts", "completion"],
    }
    for django_only in ("compilemessages", "sqlflush", "squashmigrations", "runserver", "migrate "):
        assert django_only not in out


@pytest.mark.parametrize(
    "command",
    [
        "lab",
        "sandbox",
        "use",
        "apply",
        "get",
        "describe",
        "delete",
        "exec",
        "cni",
        "probe",
        "trace",
        "serve",
        "agent",
        "demo_accounts",
        "completion",
    ],
)
def test_each_commands_help_shows_only_its_own_options(capsys, command):
    code, out, _ = podpath_main(capsys, command, "--help")
    assert code == 0 and out.startswith(f"usage: podpath {command} ")
    for django_option in (
        "--settings",
        "--pythonpath",
        "--traceback",
        "--verbosity",
        "--no-color",
        "--force-color",
        "--skip-checks",
        "--version",
    ):
        assert django_option not in out, (command, django_option)


def test_help_command_is_the_commands_own_help(capsys):
    assert podpath_main(capsys, "help", "get")[1] == podpath_main(capsys, "get", "--help")[1]


def test_djangos_options_are_still_accepted(capsys):
    code, out, _ = podpath_main(capsys, "lab", "--traceback", "-v", "0", "list", "-o", "json")
    assert code == 0 and '"id": "evolution"' in out


def test_manage_reaches_djangos_commands(capsys):
    code, out, _ = podpath_main(capsys, "manage", "help")
    assert code == 0 and "migrate" in out and "sqlflush" in out
    code, out, _ = podpath_main(capsys, "manage", "check")
    assert code == 0 and "no issues" in out


def test_djangos_commands_still_answer_without_manage(capsys):
    """scripts/bootstrap and older scripts say `podpath migrate`."""
    code, out, _ = podpath_main(capsys, "check")
    assert code == 0 and "no issues" in out


def test_an_unknown_command_is_a_one_line_error_with_a_suggestion(capsys):
    code, out, err = podpath_main(capsys, "gett", "pods")
    assert code == 2 and out == ""
    assert err == "Error: unknown command 'gett' (did you mean get?); podpath --help lists the commands\n"


def test_output_cut_short_by_a_pipe_ends_quietly():
    """`podpath lab show kubernetes | head`: no traceback when the reader stops early. `true` reads
    nothing and is gone long before podpath (a second of imports) writes."""
    line = f"{sys.executable} -m podpath.cli lab show kubernetes | true; echo ${{PIPESTATUS[0]}}"
    result = subprocess.run(["bash", "-c", line], check=False, capture_output=True, text=True, timeout=60)
    assert (result.stdout, result.stderr) == ("141\n", "")


# -- the current sandbox: -s, then PODPATH_SANDBOX, then `podpath use` ------------------------------


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("PODPATH_SANDBOX", raising=False)
    return tmp_path


@pytest.fixture
def two_sandboxes():
    """Two sandbox records (no namespaces): enough for `podpath use` to accept their names."""
    made = [new_sandbox_name(), new_sandbox_name()]
    for name in made:
        write_record(SandboxRecord(name=name, created=now_iso(), hosts=("m1",), meta={"lab": "evolution", "step": 1}))
    yield made
    for name in made:
        names.record_path(name).unlink()
        names.sandbox_dir(name).rmdir()


def test_precedence_is_option_then_environment_then_stored(config_home):
    assert current_sandbox(None) is None
    store_sandbox("stored")
    assert current_sandbox(None) == Current("stored", str(config_home / "podpath" / "sandbox"))
    environ = {"XDG_CONFIG_HOME": str(config_home), "PODPATH_SANDBOX": "fromenv"}
    assert current_sandbox(None, environ) == Current("fromenv", "PODPATH_SANDBOX")
    assert current_sandbox("given", environ) == Current("given", "-s")
    store_sandbox(None)
    assert current_sandbox(None) is None


def test_use_stores_the_current_sandbox_and_prints_it(capsys, config_home, two_sandboxes):
    first, _ = two_sandboxes
    code, out, _ = podpath_main(capsys, "use", first)
    assert code == 0 and out == f"current sandbox: {first} (stored in {config_home}/podpath/sandbox)\n"
    assert (config_home / "podpath" / "sandbox").read_text() == f"{first}\n"
    assert podpath_main(capsys, "use")[:2] == (0, f"{first}\n")


def test_the_environment_overrides_the_stored_sandbox(capsys, config_home, two_sandboxes, monkeypatch):
    first, second = two_sandboxes
    podpath_main(capsys, "use", first)
    monkeypatch.setenv("PODPATH_SANDBOX", second)
    assert podpath_main(capsys, "use")[1] == f"{second}\n"
    code, _, err = podpath_main(capsys, "use", first)
    assert code == 0 and f"PODPATH_SANDBOX={second} in this shell overrides it" in err


def test_commands_use_the_current_sandbox_and_s_overrides_it(capsys, config_home, two_sandboxes):
    first, second = two_sandboxes
    podpath_main(capsys, "use", first)
    # The evolution lab's sandboxes hold no cluster: the error names the sandbox the command picked.
    _, _, err = podpath_main(capsys, "get", "pods")
    assert first in err
    _, _, err = podpath_main(capsys, "get", "-s", second, "pods")
    assert second in err and first not in err


def test_a_command_that_needs_a_sandbox_says_how_to_name_one(capsys, config_home):
    code, out, err = podpath_main(capsys, "get", "pods")
    assert code == 2 and out == ""
    assert err == (
        "Error: no sandbox given: name one with -s NAME, or set the current one with "
        "`podpath use NAME` (or PODPATH_SANDBOX)\n"
    )
    assert podpath_main(capsys, "use")[0] == 2


def test_use_refuses_an_unknown_sandbox_and_clear_forgets(capsys, config_home, two_sandboxes):
    code, _, err = podpath_main(capsys, "use", "nosuchbox")
    assert code == 2 and "unknown sandbox 'nosuchbox'" in err
    assert not (config_home / "podpath" / "sandbox").exists()
    podpath_main(capsys, "use", two_sandboxes[0])
    assert podpath_main(capsys, "use", "--clear")[0] == 0
    assert podpath_main(capsys, "use")[0] == 2


# -- bash completion ----------------------------------------------------------------------------------


def complete(line: str) -> list[str]:
    """What bash offers after ``line``, through the script `podpath completion bash` prints."""
    script = (
        'eval "$(podpath completion bash)"; COMP_LINE="$LINE"; COMP_POINT=${#COMP_LINE}; '
        'read -ra COMP_WORDS <<< "$LINE"; [[ "$LINE" == *" " ]] && COMP_WORDS+=(""); '
        'COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _python_argcomplete podpath; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    bin_dir = str(Path(sys.executable).parent)
    result = subprocess.run(
        ["bash", "-c", script],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LINE": line, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
    )
    assert result.returncode == 0, result.stderr
    return [word.strip() for word in result.stdout.splitlines() if word.strip()]


def test_completion_bash_prints_a_script_for_podpath(capsys):
    code, out, _ = podpath_main(capsys, "completion", "bash")
    assert code == 0 and "complete " in out and "_python_argcomplete podpath" in out


def test_bash_completes_commands_subcommands_options_and_names(two_sandboxes):
    assert complete("podpath ") == [
        "-h",
        "--help",
        "lab",
        "sandbox",
        "use",
        "apply",
        "get",
        "describe",
        "delete",
        "exec",
        "cni",
        "probe",
        "trace",
        "serve",
        "agent",
        "manage",
        "demo_accounts",
        "completion",
        "help",
    ]
    assert complete("podpath sandbox cr") == ["create"]
    assert complete("podpath sandbox create s1 --lab kub") == ["kubernetes"]
    options = complete("podpath get -")
    assert "--all-namespaces" in options and "--sandbox" in options and "--settings" not in options
    assert set(two_sandboxes) <= set(complete("podpath use t"))  # other sandboxes may come and go meanwhile
    assert complete("podpath get -s x netw") == ["networkpolicies"]
    assert complete("podpath manage migr") == ["migrate"]
