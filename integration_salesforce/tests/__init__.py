from . import test_webhook
from . import test_orders
from . import test_writeback
from . import test_partners_pull
