"""Copy the canonical model files from models/ into the wheel's digitrt/models/.

Only for a real wheel: an editable install reads them from models/ in the checkout
(digitrt/_models.py), so nothing stale is left in site-packages. The list of files comes from
digitrt's model registry (`digitrt.list_models()`), the one place that names them.
"""

import sys

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class BundleModels(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        if version != "standard":
            return
        sys.path.insert(0, self.root)
        try:
            from digitrt import list_models  # cheap: no NumPy, OpenCV or onnxruntime
        finally:
            sys.path.remove(self.root)
        for spec in list_models():
            build_data["force_include"][f"models/{spec.file}"] = f"digitrt/models/{spec.file}"
