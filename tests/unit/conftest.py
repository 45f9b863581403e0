"""Load each addon's `lib/` package by path, so the unit tier runs without Odoo.

`import integration_core.lib.x` would normally run the addon's __init__.py, which imports
Odoo; here each addon is registered as an empty package whose only child is its lib/."""

import importlib.util
import json
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"

for addon_dir in sorted(ROOT.glob("integration_*")):
    lib = addon_dir / "lib"
    if not (lib / "__init__.py").exists() or addon_dir.name in sys.modules:
        continue
    parent = types.ModuleType(addon_dir.name)
    parent.__path__ = []  # a package with nothing but lib/
    sys.modules[addon_dir.name] = parent
    spec = importlib.util.spec_from_file_location(
        f"{addon_dir.name}.lib", lib / "__init__.py", submodule_search_locations=[str(lib)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)


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
