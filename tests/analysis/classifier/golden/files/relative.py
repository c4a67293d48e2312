from . import models
from ..utils import x
from .net import Net
import torch
torch.x(); x; Net; models
