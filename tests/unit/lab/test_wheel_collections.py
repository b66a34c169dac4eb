"""Unit tests of tests/lab/wheel-collections.py, which unpacks collections from the `ansible` wheel."""

import importlib.util
import pathlib
import zipfile

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "lab" / "wheel-collections.py"
SPEC = importlib.util.spec_from_file_location("wheel_collections", SCRIPT)
wheel_collections = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(wheel_collections)


@pytest.fixture(name="wheel")
def fixture_wheel(tmp_path):
    path = tmp_path / "ansible-0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("ansible_collections/containers/podman/MANIFEST.json",
                     "ansible_collections/containers/podman/plugins/connection/podman.py",
                     "ansible_collections/community/crypto/MANIFEST.json",
                     "ansible_collections/community/cryptography/MANIFEST.json",
                     "ansible_collections/community/general/MANIFEST.json",
                     "ansible-0.dist-info/METADATA"):
            archive.writestr(name, name)
    return path


def test_prefix_is_the_collection_folder():
    assert wheel_collections.prefix("community.crypto") == "ansible_collections/community/crypto/"


@pytest.mark.parametrize("name", ["crypto", "community.", ".crypto", "a.b.c", "community/crypto", ""])
def test_prefix_refuses_what_is_not_namespace_dot_name(name):
    with pytest.raises(ValueError):
        wheel_collections.prefix(name)


def test_members_take_only_that_collection():
    names = ["ansible_collections/community/crypto/a", "ansible_collections/community/cryptography/b",
             "ansible_collections/community/crypto/plugins/c"]
    assert wheel_collections.members(names, "community.crypto") == [names[0], names[2]]


def test_default_extracts_podman_and_crypto_only(wheel, tmp_path, capsys):
    dest = tmp_path / "collections"
    wheel_collections.main(wheel, dest)
    found = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert found == ["ansible_collections/community/crypto/MANIFEST.json",
                     "ansible_collections/containers/podman/MANIFEST.json",
                     "ansible_collections/containers/podman/plugins/connection/podman.py"]
    assert "community.crypto from ansible-0-py3-none-any.whl: 1 files" in capsys.readouterr().out


def test_each_collection_is_replaced_whole(wheel, tmp_path):
    dest = tmp_path / "collections"
    stale = dest / "ansible_collections/community/crypto/stale.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    kept = dest / "ansible_collections/community/general/kept.py"
    kept.parent.mkdir(parents=True)
    kept.write_text("not asked for")
    wheel_collections.main(wheel, dest, ("community.crypto",))
    assert not stale.exists()
    assert kept.read_text() == "not asked for"
    assert (dest / "ansible_collections/community/crypto/MANIFEST.json").exists()
    assert not (dest / "ansible_collections/containers").exists()


def test_a_collection_missing_from_the_wheel_stops_before_extracting(wheel, tmp_path):
    dest = tmp_path / "collections"
    with pytest.raises(SystemExit) as stop:
        wheel_collections.main(wheel, dest, ("containers.podman", "community.missing"))
    assert "community.missing" in str(stop.value)
    assert not dest.exists()
