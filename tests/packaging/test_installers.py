"""Installer scripts and the build workflow: complete, and pointing at what the spec builds."""

from __future__ import annotations

import ntpath
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ISS = ROOT / "packaging" / "windows" / "cellcounter.iss"
WORKFLOW = ROOT / ".github" / "workflows" / "build.yml"
DMG = ROOT / "packaging" / "macos" / "make_dmg.sh"


def iss_defines() -> dict[str, str]:
    return dict(re.findall(r'^\s*#define\s+(\w+)\s+"([^"]*)"', ISS.read_text(encoding="utf-8"), re.MULTILINE))


def iss_section(name: str) -> list[str]:
    text = ISS.read_text(encoding="utf-8")
    match = re.search(rf"^\[{name}\]\n(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"{ISS.name} has no [{name}] section"
    return [line for line in match.group(1).splitlines() if line.strip() and not line.startswith(";")]


def iss_path(relative: str) -> Path:
    """A path of the .iss (relative to its folder, Windows separators) on this machine."""
    return (ISS.parent / Path(*ntpath.normpath(relative).split("\\"))).resolve()


def test_setup_packs_the_spec_output(config):
    defines = iss_defines()
    assert iss_path(defines["DistDir"]) == ROOT / "dist" / config.bundle_name(False)
    assert defines["AppExe"] == f"{config.APP_NAME}.exe" and defines["CliExe"] == f"{config.CLI_NAME}.exe"
    assert defines["OutputBaseName"] == "CellCounter-Setup"
    setup = dict(line.split("=", 1) for line in iss_section("Setup") if "=" in line and not line.startswith("#"))
    assert iss_path(setup["OutputDir"]) == ROOT / "dist"
    assert iss_path(setup["SetupIconFile"]).is_file() and iss_path(setup["LicenseFile"]).is_file()
    assert setup["ChangesAssociations"] == "yes" and setup["UninstallDisplayIcon"] == "{app}\\{#AppExe}"
    files = iss_section("Files")
    assert any(line.startswith('Source: "{#DistDir}\\*"') and "recursesubdirs" in line for line in files)


def test_setup_makes_shortcuts_and_project_association():
    icons = "\n".join(iss_section("Icons"))
    assert '"{group}\\{#AppName}"' in icons and '"{autodesktop}\\{#AppName}"' in icons
    assert "{uninstallexe}" in icons
    registry = "\n".join(iss_section("Registry"))
    assert "Software\\Classes\\.json\\OpenWithProgids" in registry
    assert "Software\\Classes\\Directory\\shell\\{#AppName}\\command" in registry
    assert '"""{app}\\{#AppExe}"" ""%1"""' in registry
    assert registry.count("uninsdelete") >= 3


def test_training_setup_can_be_split():
    text = ISS.read_text(encoding="utf-8")
    assert re.search(r"#ifdef Spanning\s+DiskSpanning=yes", text)


def test_workflow_builds_on_windows_macos_and_linux():
    yaml = pytest.importorskip("yaml", reason="PyYAML parses the workflow")
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    jobs = workflow["jobs"]
    runners = {entry["os"] for entry in jobs["counting"]["strategy"]["matrix"]["include"]}
    assert runners == {"windows-latest", "macos-latest", "ubuntu-latest"}
    assert {entry["os"] for entry in jobs["training"]["strategy"]["matrix"]["include"]} == {
        "windows-latest", "macos-latest"}
    assert jobs["training"]["env"]["CELLCOUNTER_BUNDLE_TRAINING"] == "1"
    for name, job in jobs.items():
        assert job["runs-on"] == "${{ matrix.os }}"
        runs = "\n".join(step.get("run", "") for step in job["steps"])
        assert "packaging/cellcounter.spec" in runs, name
        assert "packaging/smoke_test.py" in runs, name
        assert "iscc" in runs and "make_dmg.sh" in runs, name
        assert any(step.get("uses", "").startswith("actions/upload-artifact") for step in job["steps"]), name
    assert "tar -C dist -czf" in "\n".join(step.get("run", "") for step in jobs["counting"]["steps"])


def test_workflow_names_files_that_exist():
    text = WORKFLOW.read_text(encoding="utf-8")
    named = set(re.findall(r"packaging[/\\][\w/\\.-]+\.(?:py|sh|spec|iss)", text))
    assert named, "the workflow names no packaging script"
    missing = [name for name in named if not (ROOT / name.replace("\\", "/")).is_file()]
    assert missing == []


@pytest.mark.skipif(sys.platform == "darwin" or shutil.which("bash") is None, reason="checks the non-macOS refusal")
def test_dmg_script_refuses_without_hdiutil(tmp_path):
    done = subprocess.run(["bash", str(DMG), str(tmp_path / "CellCounter.app"), str(tmp_path / "x.dmg")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "only exists on macOS" in done.stderr
    assert not (tmp_path / "x.dmg").exists()
