"""Unpack collections from the PyPI wheel of `ansible` into a project-local collections path.

Galaxy is not reachable here; the `ansible` package on PyPI carries the collections. Only the
folders of the collections named are extracted (each replaced whole), by default those the lab
and the collection need: containers.podman (Molecule's podman driver) and community.crypto
(postmaster.mail.certbot's TLS modules, a dependency in galaxy.yml).

    python wheel-collections.py <wheel> <collections dir> [namespace.name ...]
"""

import pathlib
import shutil
import sys
import zipfile

DEFAULT_COLLECTIONS = ("containers.podman", "community.crypto")


def prefix(collection):
    """The folder of a collection ("namespace.name") inside the wheel."""
    namespace, dot, name = collection.partition(".")
    if not dot or not namespace or not name or "." in name or "/" in collection:
        raise ValueError("not a collection name (namespace.name): %r" % collection)
    return "ansible_collections/%s/%s/" % (namespace, name)


def members(names, collection):
    """The wheel's files that belong to a collection."""
    start = prefix(collection)
    return [name for name in names if name.startswith(start)]


def main(wheel, dest, collections=DEFAULT_COLLECTIONS):
    dest = pathlib.Path(dest)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        chosen = {collection: members(names, collection) for collection in collections}
        missing = [collection for collection, files in chosen.items() if not files]
        if missing:
            sys.exit("%s has no %s" % (wheel, ", ".join(missing)))
        for collection, files in chosen.items():
            shutil.rmtree(dest / prefix(collection), ignore_errors=True)
            archive.extractall(dest, files)
            print("[setup] %s from %s: %d files" % (collection, pathlib.Path(wheel).name, len(files)))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], tuple(sys.argv[3:]) or DEFAULT_COLLECTIONS)
