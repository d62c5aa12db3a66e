"""Adding vectors to IVF cells of our choosing, and reading results where a vector may be twice.

FAISS's own ``add_with_ids`` puts every vector in its nearest cell. Spilling (see
:mod:`matcher.ivf_index`) stores a vector near a cell boundary in its second-nearest cell too, so
the vectors must go to cells chosen here. For the fast-scan codes FAISS's generic
``IndexIVF.add_core`` is no use: it hands flat codes to block-packed lists (the lists come out
garbled), so this module packs them itself with the lists' own code packer, as FAISS's fast-scan
``add_with_ids`` does; ``tests/matcher/test_ivf_cells.py`` checks the result is identical to it.
"""
from __future__ import annotations

import faiss
import numpy as np


def add_to_cells(ivf: faiss.IndexIVF, vectors: np.ndarray, ids: np.ndarray, cells: np.ndarray) -> None:
    """Add ``vectors`` (at the IVF's own dimension) with ``ids`` to the given ``cells``."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    cells = np.ascontiguousarray(cells, dtype=np.int64)
    if len(vectors) == 0:
        return
    lists = faiss.downcast_InvertedLists(ivf.invlists)
    if not isinstance(lists, faiss.BlockInvertedLists):  # flat codes: FAISS's own path is right
        ivf.add_core(len(vectors), faiss.swig_ptr(vectors), faiss.swig_ptr(ids), faiss.swig_ptr(cells))
        return
    codes = np.empty((len(vectors), ivf.code_size), np.uint8)
    ivf.encode_vectors(len(vectors), faiss.swig_ptr(vectors), faiss.swig_ptr(cells), faiss.swig_ptr(codes), False)
    order = np.argsort(cells, kind="stable")
    sorted_cells = cells[order]
    starts = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]])
    for start, end in zip(starts, np.r_[starts[1:], len(order)]):
        rows = order[start:end]
        _append_packed(lists, int(sorted_cells[start]), ids[rows], codes[rows])
    ivf.ntotal += len(vectors)


def _append_packed(lists: faiss.BlockInvertedLists, cell: int, ids: np.ndarray, codes: np.ndarray) -> None:
    """Append flat ``codes`` to one block-packed list: re-pack its last, partly filled block with
    the new codes after the old ones."""
    packer = lists.packer
    per_block, block_bytes = packer.nvec, packer.block_size
    old = int(lists.list_size(cell))
    first_block, kept = divmod(old, per_block)
    tail = np.zeros((-(-(kept + len(codes)) // per_block) * per_block, packer.code_size), np.uint8)
    if kept:
        stored = faiss.rev_swig_ptr(lists.get_codes(cell), (first_block + 1) * block_bytes)
        packer.unpack_all(faiss.swig_ptr(stored[first_block * block_bytes :]), faiss.swig_ptr(tail))
        tail[kept:] = 0
    tail[kept : kept + len(codes)] = codes
    lists.resize(cell, old + len(codes))
    faiss.rev_swig_ptr(lists.get_ids(cell), old + len(codes))[old:] = ids
    stored = faiss.rev_swig_ptr(lists.get_codes(cell), (first_block + len(tail) // per_block) * block_bytes)
    for block in range(len(tail) // per_block):
        packer.pack_all(
            faiss.swig_ptr(tail[block * per_block :]),
            faiss.swig_ptr(stored[(first_block + block) * block_bytes :]),
        )


def first_occurrences(similarities: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a FAISS result (best first), the first ``k`` distinct ids: a vector stored in two
    cells can be found twice, and its second sighting would take a neighbour's place."""
    order = np.argsort(ids, axis=1, kind="stable")  # equal ids keep their rank order
    by_id = np.take_along_axis(ids, order, axis=1)
    repeat_by_id = np.zeros(ids.shape, bool)
    repeat_by_id[:, 1:] = (by_id[:, 1:] == by_id[:, :-1]) & (by_id[:, 1:] >= 0)
    repeat = np.empty_like(repeat_by_id)
    np.put_along_axis(repeat, order, repeat_by_id, axis=1)
    keep = np.argsort(repeat, axis=1, kind="stable")[:, :k]  # distinct ones first, in rank order
    out_ids = np.take_along_axis(ids, keep, axis=1)
    out_sims = np.take_along_axis(similarities, keep, axis=1)
    dropped = np.take_along_axis(repeat, keep, axis=1)  # fewer than k distinct in the row
    out_ids[dropped] = -1
    out_sims[dropped] = -np.inf
    return out_sims, out_ids
