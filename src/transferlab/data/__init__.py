"""LightningDataModules for source/target domains."""

from transferlab.data.class_split import ClassSplitDigits
from transferlab.data.digit_domains import DigitDomains, TensorDomainDataModule, TorchvisionDigits
from transferlab.data.domains import DomainDataModule
from transferlab.data.episodes import EpisodicDataModule, EpisodicDigits, EpisodicOmniglot
from transferlab.data.gradual import GradualDigits
from transferlab.data.image_folders import ImageFolderDomains
from transferlab.data.semi_supervised import (
    SemiSupervisedDigits,
    SemiSupervisedImageFolder,
    SemiSupervisedText,
)
from transferlab.data.shifted import ShiftedDigits
from transferlab.data.text import TextDomains

__all__ = [
    "ClassSplitDigits",
    "DigitDomains",
    "DomainDataModule",
    "EpisodicDataModule",
    "EpisodicDigits",
    "EpisodicOmniglot",
    "GradualDigits",
    "ImageFolderDomains",
    "SemiSupervisedDigits",
    "SemiSupervisedImageFolder",
    "SemiSupervisedText",
    "ShiftedDigits",
    "TextDomains",
    "TensorDomainDataModule",
    "TorchvisionDigits",
]
