"""Every environment variable is read in helpline/settings.py, listed in .env.example, and checked at start."""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from helpline.cli import main
from helpline.settings import PROJECT_ROOT, Settings, SettingsError, load_settings, variable_names

SETTINGS_MODULE = PROJECT_ROOT / "helpline" / "settings.py"
SOURCE_DIRS = ("helpline", "helpline_rasa", "actions")
# A variable's name: what the environment holds, as opposed to other upper-case strings.
VARIABLE = re.compile(r"^(HELPLINE|TWILIO|SANIC)_[A-Z0-9_]+$|^DATABASE_URL$|^LOG_LEVEL$")


def source_files() -> Iterator[Path]:
    for folder in SOURCE_DIRS:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            if path != SETTINGS_MODULE:
                yield path


def environment_reads(tree: ast.AST) -> Iterator[Tuple[int, str]]:
    """Lines that read the process environment, or look a variable up by name in a mapping."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os" \
                and node.attr in ("environ", "environb", "getenv", "getenvb"):
            yield node.lineno, f"os.{node.attr}"
        elif isinstance(node, ast.ImportFrom) and node.module == "os" \
                and any(alias.name in ("environ", "environb", "getenv", "getenvb") for alias in node.names):
            yield node.lineno, "from os import environ/getenv"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("get", "pop", "setdefault") and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str) \
                and VARIABLE.match(node.args[0].value):
            yield node.lineno, f".{node.func.attr}({node.args[0].value!r})"
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) \
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str) \
                and VARIABLE.match(node.slice.value):
            yield node.lineno, f"[{node.slice.value!r}]"


def test_no_variable_is_read_outside_settings():
    found: List[str] = []
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found += [f"{path.relative_to(PROJECT_ROOT)}:{line}: {what}" for line, what in environment_reads(tree)]
    assert found == [], "read these through helpline.settings.Settings instead:\n" + "\n".join(found)


def test_the_scan_sees_the_ways_a_variable_is_read():
    """The guard above is only as good as its scan: each form it must catch, caught."""
    sample = ast.parse(
        "import os\nfrom os import getenv\n"
        "a = os.environ.get('X')\nb = os.getenv('Y')\nc = env.get('HELPLINE_DATA_DIR')\nd = env['DATABASE_URL']\n"
        "e = request.environ.get('REMOTE_ADDR')\n"  # a WSGI environ, not the process's
    )
    assert sorted(line for line, _ in environment_reads(sample)) == [2, 3, 4, 5, 6]


def example_variables() -> List[str]:
    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    return re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.MULTILINE)


def test_env_example_lists_exactly_the_settings_variables():
    listed = example_variables()
    assert sorted(set(listed) - set(variable_names())) == [], "in .env.example but read nowhere"
    assert sorted(set(variable_names()) - set(listed)) == [], "read by Settings but missing from .env.example"


def test_each_setting_has_one_variable_and_the_embedded_defaults_are_the_parsed_ones(tmp_path):
    assert len(set(variable_names())) == len(variable_names())
    assert load_settings({}) == Settings()


@pytest.mark.parametrize("name, value, expected", [
    ("HELPLINE_CRISIS_PAGE_CAP", "x", 'HELPLINE_CRISIS_PAGE_CAP must be a whole number >= 1, got "x"'),
    ("HELPLINE_CRISIS_PAGE_CAP", "0", 'HELPLINE_CRISIS_PAGE_CAP must be a whole number >= 1, got "0"'),
    ("HELPLINE_CRISIS_PAGE_WINDOW_MINUTES", "ten", "HELPLINE_CRISIS_PAGE_WINDOW_MINUTES must be a number > 0"),
    ("HELPLINE_RATE_LIMIT_PER_SENDER", "-1", 'HELPLINE_RATE_LIMIT_PER_SENDER must be a whole number >= 0, got "-1"'),
    ("HELPLINE_RATE_LIMIT_PER_IP", "sixty", 'HELPLINE_RATE_LIMIT_PER_IP must be a whole number >= 0, got "sixty"'),
    ("HELPLINE_TRUSTED_PROXY_HOPS", "1.5", "HELPLINE_TRUSTED_PROXY_HOPS must be a whole number >= 0"),
    ("HELPLINE_CONSOLE_PROXY_HOPS", "one", "HELPLINE_CONSOLE_PROXY_HOPS must be a whole number >= 0"),
    ("HELPLINE_TWILIO_TIMEOUT", "0", 'HELPLINE_TWILIO_TIMEOUT must be a number > 0, got "0"'),
    ("HELPLINE_TWILIO_TIMEOUT", "nan", "HELPLINE_TWILIO_TIMEOUT must be a number > 0"),
    ("HELPLINE_NOTIFY_MAX_ATTEMPTS", "0", "HELPLINE_NOTIFY_MAX_ATTEMPTS must be a whole number >= 1"),
    ("HELPLINE_RASA_PORT", "70000", 'HELPLINE_RASA_PORT must be a port number (1-65535), got "70000"'),
    ("HELPLINE_WEB_PORT", "web", "HELPLINE_WEB_PORT must be a port number (1-65535)"),
    ("HELPLINE_ACTIONS_PORT", "0", "HELPLINE_ACTIONS_PORT must be a port number (1-65535)"),
    ("HELPLINE_REDIS_PORT", "six", "HELPLINE_REDIS_PORT must be a whole number >= 0"),
    ("SANIC_REQUEST_MAX_SIZE", "1MB", "SANIC_REQUEST_MAX_SIZE must be a whole number >= 1"),
])
def test_a_bad_value_is_refused_with_the_variable_and_what_it_expects(name, value, expected):
    with pytest.raises(SettingsError) as refused:
        load_settings({name: value})
    assert str(refused.value).startswith(expected)


def test_the_cli_stops_before_any_command_and_names_the_variable(isolated_env, monkeypatch, capsys):
    monkeypatch.setenv("HELPLINE_RATE_LIMIT_PER_IP", "lots")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert err == 'error: HELPLINE_RATE_LIMIT_PER_IP must be a whole number >= 0, got "lots"\n'
    assert not (isolated_env / "helpline.db").exists()  # nothing ran


def test_settings_follow_the_environment_from_one_call_to_the_next(monkeypatch, tmp_path):
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "one"))
    monkeypatch.setenv("HELPLINE_CRISIS_PAGE_CAP", "3")
    first = load_settings()
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "two"))
    monkeypatch.delenv("HELPLINE_CRISIS_PAGE_CAP")
    second = load_settings()
    assert (first.data_dir, first.crisis_page_cap) == (tmp_path / "one", 3)
    assert (second.data_dir, second.crisis_page_cap) == (tmp_path / "two", 5)


def test_values_are_cleaned_as_before():
    settings = load_settings({
        "HELPLINE_STAFF_SMS_TO": " +16025550101, ,+16025550102 ",
        "HELPLINE_CORS_ORIGINS": "https://www.example.org/, https://example.org",
        "HELPLINE_CONSOLE_URL": "https://console.example.org/",
        "HELPLINE_ACTIONS_HOST": "  ",
        "HELPLINE_ID_SECRET": " s3cret ",
        "HELPLINE_PUBLIC_URL": " ",
    })
    assert settings.staff_sms_to == ("+16025550101", "+16025550102")
    assert settings.cors_origins == ("https://www.example.org", "https://example.org")
    assert settings.console_base_url == "https://console.example.org"
    assert settings.actions_host == "127.0.0.1"
    assert settings.id_secret == "s3cret"
    assert settings.public_url is None
