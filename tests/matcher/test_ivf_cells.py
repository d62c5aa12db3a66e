"""Adding to chosen IVF cells: the packed lists must be exactly what FAISS's own add builds."""
from __future__ import annotations

import faiss
import numpy as np
import pytest

from matcher.ivf_cells import add_to_cells, first_occurrences


def _unit(rows: int, dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _lists(ivf: faiss.IndexIVF) -> list[tuple[list[int], np.ndarray]]:
    """Per cell: its ids and its codes, unpacked from 32-code blocks where the lists are packed."""
    lists = faiss.downcast_InvertedLists(ivf.invlists)
    out = []
    for cell in range(ivf.nlist):
        size = lists.list_size(cell)
        ids = faiss.rev_swig_ptr(lists.get_ids(cell), size).tolist()
        if isinstance(lists, faiss.BlockInvertedLists):
            packer, blocks = lists.packer, -(-size // lists.packer.nvec)
            stored = faiss.rev_swig_ptr(lists.get_codes(cell), blocks * packer.block_size)
            codes = np.zeros((blocks * packer.nvec, ivf.code_size), np.uint8)
            for block in range(blocks):
                packer.unpack_all(faiss.swig_ptr(stored[block * packer.block_size :]),
                                  faiss.swig_ptr(codes[block * packer.nvec :]))
            codes = codes[:size]
        else:
            codes = faiss.rev_swig_ptr(lists.get_codes(cell), size * ivf.code_size).reshape(size, -1).copy()
        out.append((ids, codes))
    return out


@pytest.mark.parametrize("factory", ["IVF32,PQ32x4fs", "IVF32,SQ8"])
def test_adding_to_the_nearest_cells_builds_what_faiss_builds(factory):
    """Batches of odd sizes, so lists grow through partly filled 32-code blocks."""
    x = _unit(9000, 32, seed=1)
    theirs = faiss.index_factory(32, factory, faiss.METRIC_INNER_PRODUCT)
    theirs.train(x[:4000])
    ours = faiss.clone_index(theirs)
    ids = np.arange(len(x), dtype=np.int64) * 7 + 3
    for batch in np.array_split(np.arange(len(x)), 7):
        theirs.add_with_ids(x[batch], ids[batch])
        add_to_cells(ours, x[batch], ids[batch], ours.quantizer.assign(x[batch], 1)[:, 0])
    assert ours.ntotal == theirs.ntotal == len(x)
    for (their_ids, their_codes), (our_ids, our_codes) in zip(_lists(theirs), _lists(ours)):
        assert our_ids == their_ids
        assert np.array_equal(our_codes, their_codes)
    queries = x[:500] + 0.05 * _unit(500, 32, seed=2)
    theirs.nprobe = ours.nprobe = 4
    assert np.array_equal(ours.search(queries, 10)[1], theirs.search(queries, 10)[1])


def test_a_vector_added_to_a_chosen_cell_is_found_there_with_its_own_similarity():
    x = _unit(4000, 32, seed=3)
    ivf = faiss.index_factory(32, "IVF16,PQ32x4fs", faiss.METRIC_INNER_PRODUCT)
    ivf.train(x)
    far = np.argsort(ivf.quantizer.search(x[:1], 16)[0][0])[0]  # the cell least like x[0]
    far_cell = ivf.quantizer.search(x[:1], 16)[1][0][far]
    add_to_cells(ivf, x[:1], np.array([42]), np.array([far_cell]))
    assert faiss.rev_swig_ptr(ivf.invlists.get_ids(int(far_cell)), 1).tolist() == [42]
    sims, ids = ivf.search_preassigned(x[:1], 1, np.array([[far_cell]]), np.array([[0.0]], np.float32))
    assert ids[0, 0] == 42 and sims[0, 0] == pytest.approx(1.0, abs=0.15)  # 4-bit codes


def test_first_occurrences_keep_the_best_sighting_of_each_id_in_rank_order():
    ids = np.array([[5, 7, 5, 9, 7, 3], [1, 1, 1, 1, -1, -1], [4, 8, 6, 2, 0, 1]])
    sims = np.array([[0.9, 0.8, 0.7, 0.6, 0.5, 0.4], [0.9, 0.8, 0.7, 0.6, -np.inf, -np.inf], [6, 5, 4, 3, 2, 1]], np.float32)
    out_sims, out_ids = first_occurrences(sims, ids, 3)
    assert out_ids.tolist() == [[5, 7, 9], [1, -1, -1], [4, 8, 6]]
    assert out_sims[0].tolist() == pytest.approx([0.9, 0.8, 0.6])
    assert out_sims[1, 0] == pytest.approx(0.9) and np.isneginf(out_sims[1, 1:]).all()
