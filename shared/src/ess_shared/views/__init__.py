"""Views every service folds from the stream, defined once so that every pilot's copy agrees."""

from ess_shared.messaging.views import View
from ess_shared.views.probe import ProbeView
from ess_shared.views.project import ProjectView


def shared_views() -> list[View]:
    return [ProbeView(), ProjectView()]
