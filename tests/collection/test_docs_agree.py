"""Variables are documented once, in meta/argument_specs.yml; defaults/main.yml
and README's tables must agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists())
README_ROW = re.compile(r"^\| `(?P<name>[a-z0-9_]+)` \| `(?P<default>.*?)` \|", re.MULTILINE)


def spec(role: str) -> dict:
    return yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]


def readme_rows(role: str) -> dict[str, str]:
    rows = {m["name"]: m["default"] for m in README_ROW.finditer((ROOT / "README.md").read_text())}
    return {name: default for name, default in rows.items() if owner(name) == role}


def owner(name: str) -> str | None:
    """The role whose prefix is the longest match (kubo_api_auth_x is not kubo's)."""
    matches = [role for role in ROLES if name.startswith(role + "_")]
    return max(matches, key=len) if matches else None


def as_readme(value) -> str:
    """How README writes a default: YAML flow style on one line."""
    if value == "":
        return '""'
    if isinstance(value, str):
        return value.replace("|", "\\|")  # a bare | would split the table cell
    return yaml.safe_dump(value, default_flow_style=True).strip().replace("...", "").strip()


@pytest.mark.parametrize("role", ROLES)
def test_defaults_file_and_argument_specs_list_the_same_variables(role):
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()) or {}
    options = spec(role)
    assert set(defaults) == {k for k, v in options.items() if not v.get("required")}
    for name, value in defaults.items():
        assert options[name].get("default") == value, name


@pytest.mark.parametrize("role", ROLES)
def test_readme_table_lists_every_variable_with_its_default(role):
    rows = readme_rows(role)
    options = spec(role)
    assert set(rows) == set(options), "README and argument_specs differ"
    for name, option in options.items():
        if "default" in option:
            assert rows[name] == as_readme(option["default"]), name
        else:
            assert rows[name] == "required" or option.get("required"), name


@pytest.mark.parametrize("role", ROLES)
def test_every_variable_carries_the_role_prefix_and_a_description(role):
    for name, option in spec(role).items():
        assert name.startswith(role + "_"), name
        assert option.get("description"), name
