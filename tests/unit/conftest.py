"""Load each addon's `lib/` package by path, so the unit tier runs without Odoo.

`import integration_core.lib.x` would normally run the addon's __init__.py, which imports
Odoo; here each addon is registered as an empty package whose only child is its lib/."""

import importlib.abc
import importlib.util
import json
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"

# As in Odoo (`odoo.addons.<addon>.lib`), the addons share a parent package, so a connector's
# lib/ reaches the core toolkit with `from ...integration_core.lib import money`.
ADDONS = types.ModuleType("addons")
ADDONS.__path__ = []
sys.modules["addons"] = ADDONS

for addon_dir in sorted(ROOT.glob("integration_*")):
    lib = addon_dir / "lib"
    if not (lib / "__init__.py").exists() or addon_dir.name in sys.modules:
        continue
    parent = types.ModuleType(f"addons.{addon_dir.name}")
    parent.__path__ = []  # a package with nothing but lib/
    sys.modules[parent.__name__] = sys.modules[addon_dir.name] = parent
    spec = importlib.util.spec_from_file_location(
        f"addons.{addon_dir.name}.lib", lib / "__init__.py", submodule_search_locations=[str(lib)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = sys.modules[f"{addon_dir.name}.lib"] = module
    parent.lib = module
    spec.loader.exec_module(module)


class _AddonAlias(importlib.abc.MetaPathFinder):
    """`integration_x.lib.y` (how the tests import) is the module `addons.integration_x.lib.y`."""

    def find_spec(self, name, path=None, target=None):
        if not name.startswith("integration_") or name in sys.modules or name.count(".") < 2:
            return None
        module = importlib.import_module(f"addons.{name}")
        return importlib.util.spec_from_loader(name, _Same(module))


class _Same(importlib.abc.Loader):
    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _AddonAlias())


@pytest.fixture
def fixtures_dir():
    if not FIXTURES.is_dir():
        pytest.fail(f"vendor fixtures not found at {FIXTURES} (../shared/fixtures)")
    return FIXTURES


@pytest.fixture
def signature_vectors(fixtures_dir):
    return {v["id"]: v for v in json.loads((fixtures_dir / "SIGNATURE_VECTORS.json").read_text())}


def pytest_sessionfinish(session):
    assert "odoo" not in sys.modules, "the unit tier must not import Odoo"
