from transformers import AutoModel
AutoModel()
