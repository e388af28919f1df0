from . import reconquete_indicator
