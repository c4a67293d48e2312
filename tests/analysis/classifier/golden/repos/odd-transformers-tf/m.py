from transformers import TFBertModel
TFBertModel()
