"""The shared duplicate-name check: a stored name names one class, at start-up."""
from __future__ import annotations

import pytest

from matcher.backends import BACKENDS, BY_NAME
from matcher.index import IndexError_
from plugins import unique_names


class A:
    name = "a"


class B:
    name = "b"


class AlsoA:
    name = "a"


def test_names_map_to_their_classes_in_order() -> None:
    assert unique_names((A, B), "thing") == {"a": A, "b": B}


def test_a_taken_name_raises_the_packages_own_error() -> None:
    with pytest.raises(ValueError, match="duplicate thing name 'a'"):
        unique_names((A, AlsoA), "thing")
    with pytest.raises(IndexError_, match="duplicate index backend name"):
        unique_names((*BACKENDS, BACKENDS[0]), "index backend", error=IndexError_)


def test_index_backends_registry_is_built_with_it() -> None:
    assert list(BY_NAME) == [b.name for b in BACKENDS]
