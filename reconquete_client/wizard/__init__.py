from . import reconquete_pause_wizard
from . import reconquete_departure_wizard
from . import reconquete_strategic_wizard
from . import reconquete_assign_wizard
from . import base_partner_merge
