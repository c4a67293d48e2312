import torch
torch.zeros(3)
