import tensorflow as tf
import torch
torch.zeros(1)
