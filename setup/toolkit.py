"""The core toolkit (integration_core/lib, pure Python) for the demo, the bench and the e2e
helpers, loaded by path: importing the addon itself would start Odoo's model machinery."""

import importlib.util
import sys
from pathlib import Path

_LIB = Path(__file__).resolve().parent.parent / "integration_core" / "lib"
_NAME = "integration_core_toolkit"


def _load():
    if _NAME not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            _NAME, _LIB / "__init__.py", submodule_search_locations=[str(_LIB)]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[_NAME] = module
        spec.loader.exec_module(module)
    return importlib.import_module(f"{_NAME}.signatures")


_signatures = _load()
hmac_sha256 = _signatures.hmac_sha256
signed_message = _signatures.signed_message
verify_hmac = _signatures.verify_hmac
SignatureMismatch = _signatures.SignatureMismatch
