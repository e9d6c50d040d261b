import numpy as np
import pytest
from PIL import Image

from transferlab.data import ImageFolderDomains


def make_domains(root, layout: dict[str, list[str]], per_class: int = 6):
    """root/<domain>/<class>/<i>.png with distinct colours per class."""
    rng = np.random.default_rng(0)
    for domain, classes in layout.items():
        for index, name in enumerate(classes):
            folder = root / domain / name
            folder.mkdir(parents=True)
            for i in range(per_class):
                pixels = rng.integers(0, 60, (20, 20, 3)) + 60 * index
                Image.fromarray(pixels.astype(np.uint8)).save(folder / f"{i}.png")
    return root


def test_reads_office_style_folders(tmp_path):
    root = make_domains(tmp_path, {"amazon": ["cup", "pen"], "webcam": ["cup", "pen"]})
    data = ImageFolderDomains(str(root), "amazon", "webcam", image_size=16, batch_size=4)
    assert data.classes == ["cup", "pen"] and data.num_classes == 2
    data.setup("fit")
    images, labels = next(iter(data.test_dataloader()[1]))
    assert images.shape[1:] == (3, 16, 16)
    assert set(labels.tolist()) <= {0, 1}


def test_missing_domain_names_the_folder_and_lists_what_exists(tmp_path):
    root = make_domains(tmp_path, {"amazon": ["cup", "pen"]})
    data = ImageFolderDomains(str(root), "amazon", "dslr")
    with pytest.raises(FileNotFoundError, match=r"dslr.*domains under .*\['amazon'\]"):
        _ = data.num_classes


def test_missing_root_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        _ = ImageFolderDomains(str(tmp_path / "nowhere"), "a", "b").num_classes


def test_class_mismatch_lists_the_differences(tmp_path):
    root = make_domains(tmp_path, {"a": ["cup", "pen"], "b": ["cup", "mug"]})
    with pytest.raises(ValueError, match=r"only in a: \['pen'\]; only in b: \['mug'\]"):
        _ = ImageFolderDomains(str(root), "a", "b").classes


def test_undecodable_image_is_named_before_any_loading(tmp_path):
    root = make_domains(tmp_path, {"a": ["cup", "pen"], "b": ["cup", "pen"]}, per_class=1)
    broken = root / "b" / "cup" / "broken.jpg"
    broken.write_bytes(b"this is not a jpeg")
    data = ImageFolderDomains(str(root), "a", "b", image_size=8)
    with pytest.raises(ValueError, match=r"1 image file\(s\) cannot be read:\n.*broken.jpg"):
        data.load_domain("b", train=False)


def test_a_file_that_breaks_after_the_check_is_still_named(tmp_path):
    root = make_domains(tmp_path, {"a": ["cup", "pen"], "b": ["cup", "pen"]}, per_class=1)
    dataset = ImageFolderDomains(str(root), "a", "b", image_size=8).load_domain("b", train=False)
    dataset.files[0].write_bytes(b"truncated later")
    with pytest.raises(ValueError, match=f"cannot decode image file .*{dataset.files[0].name}"):
        dataset[0]


def test_a_single_class_is_refused(tmp_path):
    root = make_domains(tmp_path, {"a": ["cup"], "b": ["cup"]}, per_class=1)
    with pytest.raises(FileNotFoundError, match="at least two class sub-folders"):
        _ = ImageFolderDomains(str(root), "a", "b").classes
