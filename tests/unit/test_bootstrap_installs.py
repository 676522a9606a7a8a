"""Every program the tests and the product run is installed by scripts/bootstrap, or comes with Debian itself.

A program installed by hand on the developers' machine makes CI green there and red on a fresh one (tshark
once did). The scan reads the code, not the machine: argv literals given to subprocess, the program after
``ip netns exec NS``, ``shutil.which("x")``, the helpers that forward ``*argv`` into ``ip netns exec``, and
the first word of the labs' and exercises' ``run:`` and ``command:`` lines.
"""

from __future__ import annotations

import ast
import functools
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("tests", "netcore", "labs", "podpath")
RUNNERS = {"run", "Popen", "check_output", "check_call", "call", "create_subprocess_exec", "execvp", "to_thread"}

# The Debian package that puts each program on PATH.
PACKAGE_OF = {
    "ip": "iproute2",
    "ss": "iproute2",
    "bridge": "iproute2",
    "tc": "iproute2",
    "nft": "nftables",
    "conntrack": "conntrack",
    "curl": "curl",
    "ping": "iputils-ping",
    "nc": "netcat-openbsd",
    "dig": "dnsutils",
    "nslookup": "dnsutils",
    "nginx": "nginx",
    "ps": "procps",
    "sysctl": "procps",
    "pgrep": "procps",
    "python3": "python3",
    "chromium": "chromium",
    "tshark": "tshark",
    "redis-server": "redis-server",  # the scale tier's private Redis (PostgreSQL's programs: by full path)
}

# Programs of Debian's "required" packages (coreutils, util-linux, libc-bin, dash, bash, dpkg): on every
# install, so bootstrap need not name them.
BASE_SYSTEM = {
    "sh",
    "bash",
    "sleep",
    "cat",
    "id",
    "head",
    "yes",
    "echo",
    "true",
    "false",
    "env",
    "ls",
    "kill",
    "timeout",
    "findmnt",
    "nsenter",
    "unshare",
    "mount",
    "umount",
    "getent",
    "hostname",
    "dpkg",
    "dpkg-query",
}


def bootstrap_packages() -> set[str]:
    """The Debian packages scripts/bootstrap installs (with --test: the tests need them all)."""
    text = (ROOT / "scripts" / "bootstrap").read_text()
    words = set()
    for value in re.findall(r'^\s*packages="([^"]*)"', text, re.MULTILINE):
        words.update(w for w in value.split() if not w.startswith("$"))
    return words


def _string(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def argv_programs(elements: list[ast.expr]) -> set[str]:
    """The programs an argv literal runs: its first word, and the one after ``ip netns exec NS``."""
    words = [_string(e) for e in elements]
    found = {words[0]} if words and words[0] else set()
    if words[:3] == ["ip", "netns", "exec"] and len(words) > 4 and words[4]:
        found.add(words[4])
    return found


def forwarding_helpers(tree: ast.Module) -> dict[str, tuple[int, bool]]:
    """Functions that put one of their parameters after ``ip netns exec NS``: name -> (position of that
    parameter, whether it is ``*argv`` (the program is the argument there) or a list (its first word))."""
    helpers = {}
    for func in tree.body:
        if not isinstance(func, ast.FunctionDef):
            continue
        params = [a.arg for a in func.args.posonlyargs + func.args.args]
        for node in ast.walk(func):
            if not (isinstance(node, ast.List) and [_string(e) for e in node.elts[:3]] == ["ip", "netns", "exec"]):
                continue
            for element in node.elts[3:]:
                if isinstance(element, ast.Starred) and isinstance(element.value, ast.Name):
                    forwarded = element.value.id
                    if func.args.vararg and forwarded == func.args.vararg.arg:
                        helpers[func.name] = (len(params), True)
                    elif forwarded in params:
                        helpers[func.name] = (params.index(forwarded), False)
    return helpers


def called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def python_programs(tree: ast.Module, helpers: dict[str, tuple[int, bool]]) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = called_name(node)
        first = _string(node.args[0]) if node.args else None
        if name in ("which", "create_subprocess_exec") and first:
            found.add(first)
        elif name in helpers and len(node.args) > helpers[name][0]:
            position, variadic = helpers[name]
            argument = node.args[position]
            if variadic and _string(argument):
                found.add(_string(argument) or "")
            elif isinstance(argument, ast.List | ast.Tuple):
                found |= argv_programs(argument.elts)
        elif name in RUNNERS:
            lists = [a for a in node.args if isinstance(a, ast.List | ast.Tuple)]
            if lists:
                found |= argv_programs(lists[0].elts)
    return found


def yaml_commands(data: object) -> set[str]:
    """First words of every ``run:`` and ``command:`` in a lab or exercise file."""
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("run", "command") and isinstance(value, str) and value.strip():
                found.add(shlex.split(value)[0])
            elif key == "command" and isinstance(value, list) and value and isinstance(value[0], str):
                found.add(value[0])
            else:
                found |= yaml_commands(value)
    elif isinstance(data, list):
        for item in data:
            found |= yaml_commands(item)
    return found


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


@functools.cache
def programs_run() -> dict[str, set[str]]:
    """Each program run, with the files that run it."""
    trees = {p: ast.parse(p.read_text(), str(p)) for top in SCANNED for p in sorted((ROOT / top).rglob("*.py"))}
    module_helpers = {module_name(p): forwarding_helpers(t) for p, t in trees.items()}
    where: dict[str, set[str]] = {}
    for path, tree in trees.items():
        helpers = dict(module_helpers[module_name(path)])
        for node in tree.body:  # helpers imported by name from another scanned module
            if isinstance(node, ast.ImportFrom) and node.module in module_helpers:
                imported = module_helpers[node.module]
                helpers |= {a.asname or a.name: imported[a.name] for a in node.names if a.name in imported}
        for program in python_programs(tree, helpers):
            where.setdefault(program, set()).add(str(path.relative_to(ROOT)))
    for path in sorted((ROOT / "labs").rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            for program in yaml_commands(document):
                where.setdefault(program, set()).add(str(path.relative_to(ROOT)))
    return where


def test_the_scan_finds_what_the_tests_and_the_product_run():
    found = programs_run()
    for program in ("ip", "nft", "curl", "ping", "tshark", "nginx", "ss", "nc"):
        assert program in found, program


def test_the_scan_reads_ip_netns_exec_helpers_and_yaml():
    tree = ast.parse(
        "def inside(ns, host, *argv):\n    return subprocess.run(['ip', 'netns', 'exec', ns, *argv])\n"
        "def listed(ns, argv):\n    return subprocess.run(['ip', 'netns', 'exec', ns, *argv])\n"
        "inside(ns, 'web', 'tshark', '-r', path)\n"
        "listed(ns, ['nc', '-z'])\n"
        "subprocess.run(['ip', 'netns', 'exec', ns, 'dig', '+short'])\n"
        "shutil.which('tcpdump')\n"
    )
    assert python_programs(tree, forwarding_helpers(tree)) == {"ip", "tshark", "nc", "dig", "tcpdump"}
    assert yaml_commands({"try": [{"run": "curl -s -m 2 http://{{pod:a}}/"}], "command": ["sleep", "1"]}) == {
        "curl",
        "sleep",
    }


def test_every_program_run_is_installed_by_bootstrap_or_comes_with_debian():
    installed = bootstrap_packages()
    missing = {}
    for program, files in sorted(programs_run().items()):
        if program in BASE_SYSTEM:
            continue
        package = PACKAGE_OF.get(program)
        if package is None or package not in installed:
            missing[program] = (package or "no package known: add it to PACKAGE_OF", sorted(files))
    assert not missing, f"scripts/bootstrap does not install: {missing}"


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg tells which package owns a file")
def test_the_package_table_agrees_with_dpkg():
    for program, package in PACKAGE_OF.items():
        path = shutil.which(program)
        if path is None:
            continue
        owner = subprocess.run(["dpkg", "-S", str(Path(path).resolve())], capture_output=True, text=True, timeout=30)
        if owner.returncode != 0:
            continue  # a file dpkg does not know (installed by hand): the table cannot be checked here
        owners = {line.split(":")[0] for line in owner.stdout.splitlines()}
        dependencies = subprocess.run(
            ["dpkg-query", "-W", "-f=${Depends}", package], capture_output=True, text=True, timeout=30
        ).stdout
        assert owners & {package} or any(o in dependencies for o in owners), (program, package, owners)
