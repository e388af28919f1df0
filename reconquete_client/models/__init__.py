from . import res_company
from . import res_config_settings
from . import reconquete_stage
from . import reconquete_stage_history
from . import res_partner
from . import reconquete_analysis
