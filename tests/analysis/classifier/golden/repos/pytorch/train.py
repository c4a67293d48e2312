import torch
torch.x()
import torchvision
torchvision.x()
