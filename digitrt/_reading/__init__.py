"""Reading whole numbers: atoms (`atoms.py`), rules (`rules.py`), the sequence model
(`lines.py`) and the reader that puts them together (`reader.py`); see docs/reading.md."""
