from .pycaffe import Net
