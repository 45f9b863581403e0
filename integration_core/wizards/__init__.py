# The mixin first: Odoo builds a module's models in the order they are imported.
from . import integration_event_fix_mixin  # noqa: I001
from . import integration_event_edit_wizard, integration_event_ignore_wizard
