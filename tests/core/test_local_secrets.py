"""Per-install secrets: the environment wins, else a private file made once per data directory."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest

from helpline.channels import sms
from helpline.security import local_secrets
from helpline.settings import PROJECT_ROOT


def env_for(data_dir: Path, **values: str) -> dict:
    return {"HELPLINE_DATA_DIR": str(data_dir), **values}


@pytest.mark.parametrize("get, file_name", [
    (local_secrets.action_token, local_secrets.ACTION_TOKEN_FILE),
    (sms.id_secret, sms.ID_SECRET_FILE),
    (sms.auth_token, sms.LOCAL_AUTH_TOKEN_FILE),
])
def test_each_secret_is_made_once_private_and_then_reused(tmp_path, get, file_name):
    first = get(env_for(tmp_path))
    path = tmp_path / file_name
    assert first.path == path and first.is_local
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.value) >= 32
    assert get(env_for(tmp_path)).value == first.value  # another process of the install reads the same
    assert get(env_for(tmp_path / "other")).value != first.value  # another install makes its own
    assert not list(tmp_path.glob(f".{file_name}.*"))  # no temporary files left behind


def test_the_environment_wins_and_writes_no_file(tmp_path):
    token = local_secrets.action_token(env_for(tmp_path, HELPLINE_ACTION_TOKEN=" from-env "))
    assert (token.value, token.is_local) == ("from-env", False)
    assert not (tmp_path / local_secrets.ACTION_TOKEN_FILE).exists()


def test_an_empty_secret_file_is_an_error_not_a_new_secret(tmp_path):
    (tmp_path / local_secrets.ACTION_TOKEN_FILE).write_text("")
    with pytest.raises(local_secrets.SecretFileError, match="empty"):
        local_secrets.action_token(env_for(tmp_path))


# Values the source once fell back to: published, hence accepted by anyone's server.
OLD_PUBLISHED = ("helpline-dev-id-secret-not-for-production", "helpline-dev-twilio-auth-token",
                 "DEV_ID_SECRET", "DEV_AUTH_TOKEN")


def test_no_published_secret_is_left_in_the_source():
    shipped = [*PROJECT_ROOT.joinpath("helpline").rglob("*.py"), *PROJECT_ROOT.joinpath("helpline_rasa").rglob("*.py"),
               *PROJECT_ROOT.joinpath("actions").rglob("*.py"), *PROJECT_ROOT.glob("*.yml"), PROJECT_ROOT / ".env.example"]
    found = [(path.name, old) for path in shipped for old in OLD_PUBLISHED if old in path.read_text()]
    assert found == []
