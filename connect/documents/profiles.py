"""A dossier's Connect profile (how its accountant set Connect up): the one way to look it up."""

from connect.models import ConnectProfile
from dossiers.models import Dossier


def profile_of(dossier: Dossier) -> ConnectProfile | None:
    """The dossier's profile, or None while its accountant has set none. Read as loaded with
    ``select_related("connect_profile")`` (no query), else with one query."""
    if Dossier.connect_profile.is_cached(dossier):
        try:
            return dossier.connect_profile
        except ConnectProfile.DoesNotExist:
            return None
    return ConnectProfile.objects.filter(dossier=dossier).first()


def profile_for(dossier: Dossier) -> ConnectProfile:
    """The dossier's profile, created with the defaults when it has none yet."""
    profile, _created = ConnectProfile.objects.get_or_create(dossier=dossier)
    return profile
