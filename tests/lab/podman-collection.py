"""Unpack containers.podman (Molecule's podman driver needs it) from the PyPI wheel of `ansible`.

Galaxy is not reachable here; the `ansible` package on PyPI carries the collection. Only its
folder is extracted, into a project-local collections path.

    python podman-collection.py <wheel> <collections dir>
"""

import pathlib
import shutil
import sys
import zipfile

PREFIX = "ansible_collections/containers/podman/"


def main(wheel, dest):
    dest = pathlib.Path(dest)
    target = dest / PREFIX
    shutil.rmtree(target, ignore_errors=True)
    with zipfile.ZipFile(wheel) as archive:
        members = [name for name in archive.namelist() if name.startswith(PREFIX)]
        if not members:
            sys.exit("%s has no %s" % (wheel, PREFIX))
        archive.extractall(dest, members)
    print("[setup] containers.podman from %s: %d files" % (pathlib.Path(wheel).name, len(members)))


if __name__ == "__main__":
    main(*sys.argv[1:3])
