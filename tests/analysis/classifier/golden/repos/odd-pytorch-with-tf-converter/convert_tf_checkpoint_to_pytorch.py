import tensorflow
tensorflow.x()
import torch
torch.x()
