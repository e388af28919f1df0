from . import reconquete_indicator
from . import reconquete_flow
from . import reconquete_episode
