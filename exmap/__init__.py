__version__ = "0.1.0"
# torchvision's compiled ops do not load on a CPU-only torch; define their schemas before anything imports it.
from .core import patch_torchvision as _patch_torchvision
_patch_torchvision()
