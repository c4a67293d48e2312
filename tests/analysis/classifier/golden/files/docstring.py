"""Usage:

import tensorflow as tf
"""
import torch
torch.x()
