from . import reconquete_pause_wizard
