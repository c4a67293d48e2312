from transformers import BertTokenizer
BertTokenizer()
