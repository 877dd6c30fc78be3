"""The shipped digits: fixed splits, a verified checksum, and errors that say how to fix them."""

from __future__ import annotations

import shutil

import pytest
import torch
from torchvision.datasets import VisionDataset

from course_utils import DataFileError, load_digits, make_loaders
from course_utils.data import DATA_DIR, DATA_FILE, _read_arrays


def test_splits_are_fixed_disjoint_and_complete():
    sizes = {s: len(load_digits(s)) for s in ("train", "val", "test")}
    assert sizes == {"train": 1257, "val": 270, "test": 270}
    assert sum(sizes.values()) == 1797
    counts = torch.bincount(load_digits("test").targets, minlength=10)
    assert int(counts.min()) >= 25  # stratified: every digit is in every split
    first = load_digits("val")
    again = load_digits("val")
    assert torch.equal(first.raw, again.raw) and torch.equal(first.targets, again.targets)


def test_items_are_standardised_images_with_labels():
    ds = load_digits("train")
    assert isinstance(ds, VisionDataset)
    image, label = ds[0]
    assert image.shape == (1, 8, 8) and image.dtype == torch.float32
    assert isinstance(label, int) and 0 <= label <= 9
    assert abs(float(ds.data.mean())) < 0.05 and abs(float(ds.data.std()) - 1) < 0.05
    assert sorted(set(ds.targets.tolist())) == list(range(10))
    assert "/" not in repr(ds)  # no machine path in lesson outputs


def test_a_custom_transform_runs_per_item():
    ds = load_digits("test")
    custom = type(ds)(DATA_DIR, "test", transform=lambda x: x.float() * 0 + 7)
    assert torch.all(custom[3][0] == 7)


def test_unknown_split_is_a_clear_error():
    with pytest.raises(ValueError, match="'train', 'val', 'test'"):
        load_digits("training")


def test_loaders_shuffle_by_seed_only():
    def first_batch(seed):
        return next(iter(make_loaders(batch_size=16, seed=seed)[0]))[1]

    assert torch.equal(first_batch(3), first_batch(3))
    assert not torch.equal(first_batch(3), first_batch(4))
    _, val, test = make_loaders(seed=9)
    assert len(val.dataset) == 270 and len(test.dataset) == 270


@pytest.fixture
def data_copy(tmp_path):
    shutil.copy(DATA_DIR / DATA_FILE, tmp_path / DATA_FILE)
    _read_arrays.cache_clear()
    yield tmp_path
    _read_arrays.cache_clear()


def test_missing_file_names_the_file_and_the_fix(data_copy):
    (data_copy / DATA_FILE).unlink()
    with pytest.raises(DataFileError, match="missing") as err:
        load_digits("train", root=data_copy)
    assert DATA_FILE in str(err.value) and "git checkout data/" in str(err.value)
    assert "--force-reinstall --no-deps" in str(err.value) and "Colab" in str(err.value)


def test_corrupt_file_names_the_file_and_the_fix(data_copy):
    blob = bytearray((data_copy / DATA_FILE).read_bytes())
    blob[100] ^= 0xFF
    (data_copy / DATA_FILE).write_bytes(bytes(blob))
    with pytest.raises(DataFileError, match="corrupt") as err:
        make_loaders(root=data_copy)
    assert DATA_FILE in str(err.value) and "git checkout data/" in str(err.value)


def test_batches_are_fetched_whole_and_match_item_by_item() -> None:
    from torch.utils.data import DataLoader, default_collate

    from course_utils.data import collate_batch

    ds = load_digits("val")
    indices = [5, 0, 17, 3]
    items = ds.__getitems__(indices)
    assert [int(y) for _, y in items] == [ds[i][1] for i in indices]
    fast = collate_batch(items)
    slow = default_collate([ds[i] for i in indices])
    assert torch.equal(fast[0], slow[0]) and torch.equal(fast[1], slow[1])
    # Any other DataLoader over the dataset still gets ordinary items to collate.
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert x.shape == (4, 1, 8, 8) and y.tolist() == [ds[i][1] for i in range(4)]
