"""README's "Supported and tested" table says what the tests run, no more.

Each row's versions are compared with the places that pin what the tests
actually use, so that a new release in a test without a README change (or a
README claim without a test) fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def row(name: str) -> str:
    """The text of the table row that starts with `| name |` (all such rows joined)."""
    section = ROOT.joinpath("README.md").read_text().split("## Supported and tested", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith(f"| {name} |")]
    assert rows, f"README's Supported and tested table has no row {name!r}"
    return "\n".join(rows)


def test_the_kubo_row_names_exactly_the_releases_the_tests_run():
    tests = ROOT.joinpath("molecule/site/tests/test_kubo_versions.py").read_text()
    constants = re.search(r"^OLDEST, OLD, PINNED, NEWEST = (.*)$", tests, re.M)
    assert constants, "test_kubo_versions.py no longer names its releases in one line"
    tested = set(re.findall(r'"(v\d+\.\d+\.\d+)"', constants.group(1)))
    pinned = yaml.safe_load(ROOT.joinpath("roles/kubo/defaults/main.yml").read_text())["kubo_version"]
    assert pinned in tested
    claimed = set(re.findall(r"v\d+\.\d+\.\d+", row("Kubo")))
    # The row may name a release that does not build (and say why), but every
    # release the tests run must be there.
    assert tested <= claimed, f"README's Kubo row lacks {sorted(tested - claimed)}"
    untested = {v for v in claimed - tested if not re.search(re.escape(v) + r" (replaces|does not build)", row("Kubo"))}
    assert not untested, f"README's Kubo row claims {sorted(untested)}, which no test runs"
    # The releases the Molecule set-up builds and publishes are those.
    script = ROOT.joinpath("scripts/test-molecule.sh").read_text()
    built = set(re.findall(r"v\d+\.\d+\.\d+", re.search(r"^other_kubo\(\).*$", script, re.M).group(0)))
    prepare = yaml.safe_load(ROOT.joinpath("molecule/site/prepare.yml").read_text())[0]["vars"]
    assert built == set(prepare["secure_kubo_test_other_kubo"]) == tested - {pinned}


def test_every_caddy_version_in_the_table_is_one_a_test_installs():
    claimed = set(re.findall(r"\b2\.\d+\.\d+\b", row("Caddy")))
    patterns = ("molecule/**/*.yml", "molecule/**/*.py", "scripts/*.sh", "scripts/caddy-dns/go.mod", "requirements-dev.txt")
    sources = "\n".join(p.read_text() for pattern in patterns for p in ROOT.glob(pattern))
    missing = {v for v in claimed if v not in sources}
    assert not missing, f"README's Caddy row names {sorted(missing)}, which no test set-up installs"


def test_the_controller_rows_name_exactly_the_ansible_core_releases_the_tests_run():
    pinned = {}
    for path in ROOT.glob("tests/versions/core-2.*.txt"):
        match = re.search(r"^ansible-core==(2\.\d+\.\d+)", path.read_text(), re.M)
        assert match, f"{path.name} pins no ansible-core"
        pinned[path.name[len("core-"):-len(".txt")]] = match.group(1)
    main = re.search(r"^ansible-core==(2\.\d+\.\d+)", ROOT.joinpath("requirements-dev.txt").read_text(), re.M).group(1)
    assert pinned.get(main.rsplit(".", 1)[0]) == main, "tests/versions and requirements-dev.txt pin different releases"
    claimed = set(re.findall(r"\b2\.\d+\.\d+\b", row("controller")))
    assert claimed == set(pinned.values()), f"README names {sorted(claimed)}, the tests pin {sorted(pinned.values())}"
    # Each release on the Python its row says: a release whose requirements
    # file asks for the controller container runs on its Python 3.13
    # (scripts/controller-container.sh), the others on this machine's 3.11.
    for version, release in pinned.items():
        container = "# controller: container" in ROOT.joinpath(f"tests/versions/core-{version}.txt").read_text().splitlines()
        (claim,) = [line.split("|")[2] for line in row("controller").splitlines() if release in line.split("|")[2]]
        python = "on Python 3.13, in a Debian 13 container" if container else "on Python 3.11"
        assert python in claim, f"README's row of ansible-core {release} does not say {python!r}"
    # `make test` runs every pinned release: its versions stage all but the
    # one of requirements-dev.txt, which the other stages use.
    stage = re.search(r"^stage_versions\(\).*ANSIBLE_VERSIONS:-([0-9. ]+)\}", ROOT.joinpath("scripts/test.sh").read_text(), re.M)
    assert stage, "scripts/test.sh's stage_versions no longer names its releases"
    run = sorted(stage.group(1).split() + [main.rsplit(".", 1)[0]])
    assert run == sorted(pinned), f"make test runs ansible-core {run}, tests/versions pins {sorted(pinned)}"
    oldest = min(pinned, key=lambda v: tuple(map(int, v.split("."))))
    runtime = yaml.safe_load(ROOT.joinpath("meta/runtime.yml").read_text())["requires_ansible"]
    assert runtime == f">={oldest}.0", f"meta/runtime.yml claims {runtime}, the oldest tested is {oldest}"
