"""Settings read from the environment (catalog/config.py): written wrong, they are said so, in French."""

from __future__ import annotations

import pytest
import responses
from click.testing import CliRunner

from catalog.config import SettingError, load_settings
from harvesters.http import HttpClient
from maillage.cli import main


@pytest.mark.parametrize(("variable", "value"), [
    ("MAILLAGE_GRACE_DAYS", "abc"), ("MAILLAGE_GRACE_DAYS", "1e12"),  # 10¹² days overflow every date
    ("MAILLAGE_ARCHIVE_THRESHOLD", "nan"), ("MAILLAGE_ARCHIVE_THRESHOLD", "1.5"),
])
def test_a_catalog_setting_written_wrong_is_refused_naming_it(variable, value):
    with pytest.raises(SettingError, match=f"Réglage {variable}='{value}' invalide : un nombre"):
        load_settings({variable: value})


def test_catalog_settings_within_their_bounds_are_read():
    settings = load_settings({"MAILLAGE_GRACE_DAYS": "30", "MAILLAGE_ARCHIVE_THRESHOLD": "0.5"})
    assert (settings.grace_days, settings.archive_threshold) == (30, 0.5)


def test_the_command_line_says_which_setting_is_wrong_without_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("MAILLAGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MAILLAGE_GRACE_DAYS", "sept")
    result = CliRunner().invoke(main, ["sources", "list"])
    assert result.exit_code == 1 and "Réglage MAILLAGE_GRACE_DAYS='sept' invalide" in result.output


@pytest.mark.parametrize(("variable", "value"), [
    ("MAILLAGE_HTTP_MAX_MB", "512M"), ("MAILLAGE_HTTP_MAX_MB", "0"),  # 0 refused every answer
    ("MAILLAGE_HTTP_MAX_SECONDS", "1h"), ("MAILLAGE_HTTP_BACKOFF", "-1"),
])
def test_an_http_setting_written_wrong_stops_before_any_request(monkeypatch, variable, value):
    """« 512M » raised a bare ValueError once the request was sent, its answer left unread."""
    monkeypatch.setenv(variable, value)
    with responses.RequestsMock() as rsps, pytest.raises(SettingError, match=f"Réglage {variable}='{value}'"):
        HttpClient().get("https://partenaire.example.fr/services.json")
    assert len(rsps.calls) == 0
