"""Copy the canonical model files from models/ into the wheel's digitrt/models/.

Only for a real wheel: an editable install reads them from models/ in the checkout
(digitrt/_models.py), so nothing stale is left in site-packages.
"""

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODELS = ("digit_cnn.onnx", "digit_cnn_int8.onnx", "digit_mlp.onnx")


class BundleModels(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        if version == "standard":
            for name in MODELS:
                build_data["force_include"][f"models/{name}"] = f"digitrt/models/{name}"
