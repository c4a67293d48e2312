from transformers import (
    TFBertModel,
    AutoTokenizer as Tok,
)
from tensorflow.contrib \
    import slim
TFBertModel; Tok; slim
