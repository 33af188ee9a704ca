"""The assembly cache: one synth per config and sources, a new one when either changes, none kept when it cannot be."""

from pathlib import Path

from napstack import synth
from napstack.config import load_config
from tests.conftest import ROOT
from tests.test_config import GOOD, with_changes, write_configs


def test_the_key_changes_with_the_config_and_only_then(tmp_path):
    config = load_config(ROOT / "examples" / "minecraft-java.yaml")
    same = load_config(ROOT / "examples" / "minecraft-java.yaml")
    good = load_config(write_configs(tmp_path, GOOD))
    (tmp_path / "other").mkdir()
    other = load_config(write_configs(tmp_path / "other", with_changes(Watchdog__IdleChecks=7)))
    assert synth.assembly_key(config) == synth.assembly_key(same) != synth.assembly_key(good) != synth.assembly_key(other)


def test_a_cached_assembly_is_reused_and_an_unwritable_cache_synthesizes_for_the_run(tmp_path, monkeypatch):
    made = []

    def fake_synthesize(config, outdir: Path) -> Path:
        made.append(outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        (outdir / "manifest.json").write_text("{}")
        return outdir

    monkeypatch.setattr(synth, "synthesize", fake_synthesize)
    config = load_config(ROOT / "examples" / "minecraft-java.yaml")
    monkeypatch.setenv("NAPSTACK_CACHE", str(tmp_path / "cache"))
    first, second = synth.cached_assembly(config), synth.cached_assembly(config)
    assert first == second == tmp_path / "cache" / "assemblies" / synth.assembly_key(config) and len(made) == 1
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")]  # no staging folder left behind
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("NAPSTACK_CACHE", str(tmp_path / "file"))
    fallback = synth.cached_assembly(config)
    assert (fallback / "manifest.json").is_file() and not str(fallback).startswith(str(tmp_path)) and len(made) == 2
