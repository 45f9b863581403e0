from . import controllers, models, tools, wizards


def post_load():
    """Loaded server-wide: watch the cron threads from the start (tools/cron_watchdog.py)."""
    from .tools import cron_watchdog  # imported here: only a server-wide load needs it

    cron_watchdog.ensure_started()
