"""Training of digitrt's models: MNIST (+ your drawings) -> Keras -> ONNX. Needs the `train` extra."""
