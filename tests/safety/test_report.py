"""scripts/safety_report.py: figures, misses and exit status."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.safety.datasets import DATA_DIR

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "safety_report.py"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120)


def copy_sets(tmp_path: Path) -> Path:
    for name in ("crisis_positive.yml", "crisis_paraphrase_holdout.yml", "crisis_near_miss.yml"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    return tmp_path


def append(path: Path, item) -> None:
    data = yaml.safe_load(path.read_text())
    data["examples"].append(item)
    path.write_text(yaml.safe_dump(data))


def test_the_report_passes_on_the_real_sets_and_prints_every_figure():
    result = run()
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Tuning positives" in out and "Paraphrase holdout" in out and "false-positive rate" in out
    assert out.count("overall") == 2
    for category in ("suicide_self_harm", "overdose", "medical_emergency", "violence_abuse"):
        assert out.count(category) >= 2
    assert "RESULT: PASS" in out


def test_a_holdout_miss_fails_the_report_and_is_listed(tmp_path):
    data = copy_sets(tmp_path)
    append(data / "crisis_paraphrase_holdout.yml", {"text": "what time do you open", "category": "overdose"})
    result = run("--data-dir", str(data))
    assert result.returncode == 1
    assert "MISS [overdose] 'what time do you open'" in result.stdout
    assert "RESULT: FAIL" in result.stdout


def test_too_many_false_alarms_fail_the_report(tmp_path):
    data = copy_sets(tmp_path)
    near_miss = yaml.safe_load((data / "crisis_near_miss.yml").read_text())["examples"]
    for i in range(len(near_miss) // 10 + 1):
        append(data / "crisis_near_miss.yml", f"he is not breathing {i}")
    result = run("--data-dir", str(data))
    assert result.returncode == 1
    assert "FALSE ALARM 'he is not breathing 0'" in result.stdout


def test_a_missing_set_is_an_error(tmp_path):
    result = run("--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "cannot read" in result.stderr
