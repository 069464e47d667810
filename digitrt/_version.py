__version__ = "0.2.0"
# The preprocessing a model was trained with; a model whose metadata names another is refused.
# 2: detection on a copy half as large (with a finer second look).
PREPROCESSING_VERSION = "2"
