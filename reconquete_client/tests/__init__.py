from . import test_invoice_source
from . import test_multi_company
from . import test_reconquest_activities
from . import test_rhythm
from . import test_scheduled_action
from . import test_settings
from . import test_strategic
