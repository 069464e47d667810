"""Copy the canonical model files from models/ into the wheel's digitrt/models/.

Only for a real wheel: an editable install reads them from models/ in the checkout
(digitrt/_models.py), so nothing stale is left in site-packages. The list of files comes from
digitrt's model registry (`digitrt._models.bundled_files()`), the one place that names them.
"""

import sys

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class BundleModels(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        if version != "standard":
            return
        sys.path.insert(0, self.root)
        try:
            from digitrt._models import bundled_files  # cheap: no NumPy, OpenCV or onnxruntime
        finally:
            sys.path.remove(self.root)
        for file in bundled_files():
            build_data["force_include"][f"models/{file}"] = f"digitrt/models/{file}"
