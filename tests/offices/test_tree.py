from __future__ import annotations

from app.offices.tree import Tree


def test_each_sub_tree_knows_its_size() -> None:
    tree = Tree(
        offices={
            1: ("VN", "Cả nước", None),
            2: ("P1", "Tỉnh 1", 1),
            3: ("P1.A", "Xã A", 2),
            4: ("P1.B", "Xã B", 2),
            5: ("P2", "Tỉnh 2", 1),
            6: ("X", "Đơn vị riêng", None),
        }
    )
    assert tree.sizes == {1: 5, 2: 3, 3: 1, 4: 1, 5: 1, 6: 1}
    assert all(tree.sizes[i] == len(tree.subtree(i)) for i in tree.offices)
