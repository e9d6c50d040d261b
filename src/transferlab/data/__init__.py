"""LightningDataModules for source/target domains."""

from transferlab.data.digit_domains import DigitDomains, TensorDomainDataModule, TorchvisionDigits
from transferlab.data.domains import DomainDataModule
from transferlab.data.image_folders import ImageFolderDomains

__all__ = [
    "DigitDomains",
    "DomainDataModule",
    "ImageFolderDomains",
    "TensorDomainDataModule",
    "TorchvisionDigits",
]
